//! Delivery: one ingest request per batch.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;

use super::encode::body;

/// A running Dynatrace instance.
#[derive(Debug)]
pub(crate) struct Dynatrace {
    target: HttpTarget,
}

impl Dynatrace {
    pub(crate) fn new(target: HttpTarget) -> Self {
        Dynatrace { target }
    }
}

#[async_trait::async_trait]
impl Output for Dynatrace {
    /// Dynatrace answers 204 (or 200 when it dropped invalid records, which would be dropped
    /// again, so that counts as delivered). 429 (after `Retry-After`) and 5xx except 501 are
    /// retried by the shared classification; 400, 401, 402, 404, 413 and 501 (log ingest not
    /// enabled) are final with Dynatrace's reason.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.target.send(body(batch)?).await
    }
}
