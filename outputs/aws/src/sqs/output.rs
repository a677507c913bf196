//! Delivery: one `SendMessageBatch` per batch; failed entries are reported one by one.

use std::sync::Arc;

use crate::common::{classify, entry_error};
use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName, SendMessageBatchRequestEntry};
use falconer_core::{Alert, Output, SendError};

use super::encode::{Entry, Plan};

/// A running SQS instance.
#[derive(Debug)]
pub(crate) struct Sqs {
    client: aws_sdk_sqs::Client,
    url: String,
    plan: Plan,
}

fn sdk_entry(e: Entry) -> Result<SendMessageBatchRequestEntry, SendError> {
    let mut b = SendMessageBatchRequestEntry::builder()
        .id(e.id)
        .message_body(e.body)
        .set_message_group_id(e.group_id)
        .set_message_deduplication_id(e.dedup_id);
    for (name, value) in e.attributes {
        let value = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(value)
            .build()
            .map_err(|e| SendError::Encode(Box::new(e)))?;
        b = b.message_attributes(name, value);
    }
    b.build().map_err(|e| SendError::Encode(Box::new(e)))
}

impl Sqs {
    pub(crate) fn new(client: aws_sdk_sqs::Client, url: String, plan: Plan) -> Self {
        Sqs { client, url, plan }
    }
}

#[async_trait::async_trait]
impl Output for Sqs {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        // Alerts that cannot be encoded are given up on; the others still go.
        let mut failed = Vec::new();
        let mut entries = Vec::with_capacity(batch.len());
        for (i, alert) in batch.iter().enumerate() {
            match self
                .plan
                .entry(i, alert)
                .map_err(|e| SendError::Encode(e.into()))
                .and_then(sdk_entry)
            {
                Ok(entry) => entries.push(entry),
                Err(e) => failed.push((i, e)),
            }
        }
        if !entries.is_empty() {
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(classify)?;
            for f in out.failed() {
                let index = f.id().parse::<usize>().ok().filter(|i| *i < batch.len());
                let Some(index) = index else {
                    tracing::warn!(id = f.id(), "SQS reported a failure for an unknown entry");
                    continue;
                };
                failed.push((
                    index,
                    entry_error(
                        f.code(),
                        f.message().unwrap_or_default(),
                        Some(f.sender_fault()),
                    ),
                ));
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            failed.sort_by_key(|(i, _)| *i);
            Err(SendError::Partial(failed))
        }
    }

    async fn healthcheck(&self) -> Result<(), SendError> {
        self.client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }
}
