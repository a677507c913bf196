//! Delivery: the payload JSON, one request per alert.

use std::sync::Arc;

use falconer_core::{send_each, Alert, Output, SendError};
use falconer_http::HttpTarget;

/// A running Cloud Run instance.
#[derive(Debug)]
pub(crate) struct CloudRun {
    pub(crate) target: HttpTarget,
}

impl CloudRun {
    async fn send_one(&self, alert: &Alert) -> Result<(), SendError> {
        self.target.send(alert.json_bytes().clone()).await
    }
}

#[async_trait::async_trait]
impl Output for CloudRun {
    /// The shared HTTP classification: 429 and 5xx retried, other 4xx final with the
    /// service's answer.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        send_each(batch, |alert| self.send_one(alert)).await
    }
}
