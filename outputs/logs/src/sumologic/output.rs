//! Delivery: one request per batch, a payload JSON line per alert.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::ndjson;
use falconer_http::HttpTarget;

/// A running SumoLogic instance.
#[derive(Debug)]
pub(crate) struct SumoLogic {
    target: HttpTarget,
}

impl SumoLogic {
    pub(crate) fn new(target: HttpTarget) -> Self {
        SumoLogic { target }
    }
}

#[async_trait::async_trait]
impl Output for SumoLogic {
    /// SumoLogic answers 200; 429 (throttled) and 5xx are retried by the shared
    /// classification, other 4xx (an unknown or disabled source) are final with its reason.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.target.send(ndjson(batch)).await
    }
}
