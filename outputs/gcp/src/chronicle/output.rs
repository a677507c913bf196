//! Delivery: one import request per batch.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;

use super::encode::import_body;
use crate::common::GoogleAuth;

/// Bytes of an import answer read at most.
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// A running Chronicle instance.
#[derive(Debug)]
pub(crate) struct Chronicle {
    pub(crate) target: HttpTarget,
    pub(crate) auth: GoogleAuth,
}

#[async_trait::async_trait]
impl Output for Chronicle {
    /// The import takes a request's logs together or not at all: 429 and 5xx are retried,
    /// other 4xx final with Google's reason.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let body = import_body(batch, chrono::Utc::now());
        self.auth
            .send(&self.target, body.into(), MAX_ANSWER_BYTES)
            .await
            .map(|_| ())
    }
}
