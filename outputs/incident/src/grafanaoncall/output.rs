//! Delivery: one webhook request per alert.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;

use super::encode::body;

/// A running Grafana OnCall instance.
#[derive(Debug)]
pub(crate) struct GrafanaOnCall {
    target: HttpTarget,
}

impl GrafanaOnCall {
    pub(crate) fn new(target: HttpTarget) -> Self {
        GrafanaOnCall { target }
    }
}

#[async_trait::async_trait]
impl Output for GrafanaOnCall {
    /// OnCall answers 200. 429 and 5xx are retried by the shared classification; other 4xx
    /// (a deleted integration answers 404) are final.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        for alert in batch {
            self.target.send(body(alert)?).await?;
        }
        Ok(())
    }
}
