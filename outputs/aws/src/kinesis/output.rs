//! Delivery: one `PutRecords` per batch; failed records are reported one by one.

use std::sync::Arc;

use crate::common::{classify, entry_error};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use falconer_core::{Alert, Output, SendError};
use falconer_event::GoTemplate;

use super::encode::partition_key;

/// Records per `PutRecords` call at most (Kinesis's limit).
pub(crate) const MAX_BATCH: usize = 500;
/// Payload bytes per call at most: Kinesis allows 5 MiB with the partition keys.
pub(crate) const MAX_BATCH_BYTES: usize = 4 << 20;

/// A running Kinesis instance.
#[derive(Debug)]
pub(crate) struct Kinesis {
    pub(crate) client: aws_sdk_kinesis::Client,
    pub(crate) stream: String,
    pub(crate) key: Option<GoTemplate>,
}

#[async_trait::async_trait]
impl Output for Kinesis {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        let mut failed = Vec::new();
        // Batch positions of the records sent, in request order.
        let mut sent = Vec::with_capacity(batch.len());
        let mut records = Vec::with_capacity(batch.len());
        for (i, alert) in batch.iter().enumerate() {
            let record = partition_key(self.key.as_ref(), alert)
                .map_err(|e| SendError::Encode(e.into()))
                .and_then(|key| {
                    PutRecordsRequestEntry::builder()
                        .data(Blob::new(alert.to_json()))
                        .partition_key(key)
                        .build()
                        .map_err(|e| SendError::Encode(Box::new(e)))
                });
            match record {
                Ok(r) => {
                    records.push(r);
                    sent.push(i);
                }
                Err(e) => failed.push((i, e)),
            }
        }
        if !records.is_empty() {
            let out = self
                .client
                .put_records()
                .stream_name(&self.stream)
                .set_records(Some(records))
                .send()
                .await
                .map_err(classify)?;
            if out.failed_record_count().unwrap_or(0) > 0 {
                for (k, result) in out.records().iter().enumerate() {
                    if let (Some(code), Some(&i)) = (result.error_code(), sent.get(k)) {
                        failed.push((
                            i,
                            entry_error(code, result.error_message().unwrap_or_default(), None),
                        ));
                    }
                }
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            failed.sort_by_key(|(i, _)| *i);
            Err(SendError::Partial(failed))
        }
    }
}
