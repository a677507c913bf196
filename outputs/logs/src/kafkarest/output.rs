//! Delivery: one produce request per batch, each record's result read from the answer.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;
use serde::Deserialize;

use super::encode::records;

/// Bytes of a 2xx answer read (an `offsets` entry per record).
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// The REST Proxy's error code of a retriable Kafka error.
const RETRIABLE: i64 = 2;

/// A running Kafka REST instance.
#[derive(Debug)]
pub(crate) struct KafkaRest {
    pub(crate) target: HttpTarget,
}

/// One record the proxy could not produce.
#[derive(Debug, thiserror::Error)]
#[error("Kafka REST Proxy error {code}: {message}")]
pub(crate) struct RecordError {
    code: i64,
    message: String,
}

#[derive(Deserialize)]
struct Offset {
    #[serde(default)]
    error_code: Option<i64>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    offsets: Vec<Offset>,
}

/// The failed records of an answer, each classified: code 2 retried, others final.
pub(crate) fn failed_records(answer: &[u8]) -> Vec<(usize, SendError)> {
    let Ok(answer) = serde_json::from_slice::<Answer>(answer) else {
        tracing::debug!("Kafka REST answer without offsets; the request counts as delivered.");
        return Vec::new();
    };
    answer
        .offsets
        .into_iter()
        .enumerate()
        .filter_map(|(i, offset)| {
            let code = offset.error_code?;
            let error = RecordError {
                code,
                message: offset.error.unwrap_or_default(),
            };
            Some((
                i,
                if code == RETRIABLE {
                    SendError::Other(Box::new(error))
                } else {
                    SendError::Rejected(error.to_string())
                },
            ))
        })
        .collect()
}

#[async_trait::async_trait]
impl Output for KafkaRest {
    /// 429 and 5xx are retried by the shared classification, other 4xx (an unknown topic,
    /// a record too large) are final with the proxy's reason; in a 200 answer, each record's
    /// error fails that alert only.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let answer = self
            .target
            .send_reading(records(batch)?, MAX_ANSWER_BYTES)
            .await?;
        let mut failed = failed_records(&answer);
        failed.retain(|(i, _)| *i < batch.len());
        match failed.len() {
            0 => Ok(()),
            1 if batch.len() == 1 => Err(failed.remove(0).1),
            _ => Err(SendError::Partial(failed)),
        }
    }
}
