//! Delivery: one binary-mode request per alert.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;
use http::HeaderMap;

use super::encode::Encoder;

/// A running CloudEvents instance.
#[derive(Debug)]
pub(crate) struct CloudEvents {
    pub(crate) target: HttpTarget,
    pub(crate) encoder: Encoder,
}

impl CloudEvents {
    async fn send_one(&self, alert: &Alert) -> Result<(), SendError> {
        let event = self.encoder.encode(alert);
        let headers: HeaderMap = event.headers.into_iter().collect();
        self.target.send_with_headers(event.body, headers).await
    }
}

#[async_trait::async_trait]
impl Output for CloudEvents {
    /// One event per request (the core gives batches of one); answers are classified by the
    /// shared rules (5xx, 429, timeouts retried; other 4xx final).
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        falconer_core::send_each(batch, |alert| self.send_one(alert)).await
    }
}
