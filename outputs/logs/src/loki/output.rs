//! Delivery: one push per batch, and Loki's answers classified for the core.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;
use reqwest::StatusCode;

use super::encode::LokiEncoder;

/// Phrases of Loki's 400 answers for entries it will never take (outside the accepted time
/// window, or out of order for a stream that refuses unordered writes).
const TIME_WINDOW_REFUSALS: [&str; 5] = [
    "out of order",
    "too far behind",
    "timestamp too old",
    "timestamp too new",
    "greater_than_max_sample_age",
];

/// A running Loki instance.
#[derive(Debug)]
pub(crate) struct Loki {
    target: HttpTarget,
    encoder: LokiEncoder,
}

impl Loki {
    pub(crate) fn new(target: HttpTarget, encoder: LokiEncoder) -> Self {
        Loki { target, encoder }
    }
}

/// Loki's semantics on top of the shared classification:
/// - 429 (ingestion or stream rate limit) and 5xx are retried by the core, after
///   `Retry-After` when given. Sending the batch again is safe: Loki drops an entry identical
///   to one it has (same stream, timestamp and line).
/// - A 400 naming entries out of order or outside the accepted time window is final: Loki
///   stored the push's other entries and will never take these, so the batch is dead-lettered
///   with Loki's answer (which names the refused entries) rather than sent again.
/// - Any other 4xx is final, with Loki's reason.
pub(crate) fn classify(error: SendError) -> SendError {
    match error {
        SendError::Status { status, body, .. }
            if status == StatusCode::BAD_REQUEST
                && TIME_WINDOW_REFUSALS.iter().any(|p| body.contains(p)) =>
        {
            SendError::Rejected(format!(
                "Loki refused entries outside its accepted time window or out of order \
                 (it kept the other entries of the push): {body}"
            ))
        }
        e => e,
    }
}

#[async_trait::async_trait]
impl Output for Loki {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let body = self.encoder.encode(batch);
        self.target.send(body).await.map_err(classify)
    }
}
