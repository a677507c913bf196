//! Delivery: one request per alert, body = the alert's payload JSON.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;

/// A running webhook instance.
#[derive(Debug)]
pub(crate) struct Webhook {
    target: HttpTarget,
}

impl Webhook {
    pub(crate) fn new(target: HttpTarget) -> Self {
        Webhook { target }
    }
}

#[async_trait::async_trait]
impl Output for Webhook {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        for alert in batch {
            self.target.send(alert.json_bytes().clone()).await?;
        }
        Ok(())
    }
}
