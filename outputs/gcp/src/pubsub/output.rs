//! Delivery: one publish request per batch.

use std::collections::BTreeMap;
use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;

use super::encode::publish_body;
use crate::common::GoogleAuth;

/// Bytes of a publish answer read at most (the message IDs).
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// A running Pub/Sub instance.
#[derive(Debug)]
pub(crate) struct PubSub {
    pub(crate) target: HttpTarget,
    pub(crate) auth: GoogleAuth,
    pub(crate) attributes: BTreeMap<String, String>,
}

#[async_trait::async_trait]
impl Output for PubSub {
    /// Pub/Sub publishes a request's messages together or not at all: 429 and 5xx are
    /// retried, a 404 (no such topic) or 403 (no permission) is final with Google's reason.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let body = publish_body(batch, &self.attributes);
        self.auth
            .send(&self.target, body.into(), MAX_ANSWER_BYTES)
            .await
            .map(|_| ())
    }
}
