//! Delivery: one intake request per batch.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;

use super::encode::body;

/// A running Datadog Logs instance.
#[derive(Debug)]
pub(crate) struct DatadogLogs {
    target: HttpTarget,
    service: String,
}

impl DatadogLogs {
    pub(crate) fn new(target: HttpTarget, service: String) -> Self {
        DatadogLogs { target, service }
    }
}

#[async_trait::async_trait]
impl Output for DatadogLogs {
    /// The intake answers 202. 408, 429 and 5xx are retried by the shared classification
    /// (after `Retry-After` when given); 400, 401, 403 and 413 are final with Datadog's
    /// reason.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.target.send(body(batch, &self.service)?).await
    }
}
