//! Delivery: one Events API request per alert.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;

use super::encode::body;

/// A running Datadog (events) instance.
#[derive(Debug)]
pub(crate) struct Datadog {
    target: HttpTarget,
}

impl Datadog {
    pub(crate) fn new(target: HttpTarget) -> Self {
        Datadog { target }
    }
}

#[async_trait::async_trait]
impl Output for Datadog {
    /// Datadog answers 202. 408, 429 and 5xx are retried by the shared classification (after
    /// `Retry-After` when given); 400 and 403 are final with Datadog's reason.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        for alert in batch {
            self.target.send(body(alert)?).await?;
        }
        Ok(())
    }
}
