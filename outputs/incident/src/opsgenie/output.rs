//! Delivery: one Alert API request per alert, and Opsgenie's answers classified.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;
use reqwest::StatusCode;

use super::encode::body;

/// A running Opsgenie instance.
#[derive(Debug)]
pub(crate) struct Opsgenie {
    target: HttpTarget,
}

impl Opsgenie {
    pub(crate) fn new(target: HttpTarget) -> Self {
        Opsgenie { target }
    }
}

/// Opsgenie's semantics on top of the shared classification: 422 (the request can never be
/// processed: a field over its limit, say) is a final rejection with Opsgenie's message; 429
/// (rate limit) and 5xx are retried, after `Retry-After` when given; 401, 403 and other 4xx
/// are final.
pub(crate) fn classify(error: SendError) -> SendError {
    match error {
        SendError::Status { status, body, .. } if status == StatusCode::UNPROCESSABLE_ENTITY => {
            SendError::Rejected(format!("Opsgenie refused the alert (422): {body}"))
        }
        e => e,
    }
}

#[async_trait::async_trait]
impl Output for Opsgenie {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        for alert in batch {
            self.target.send(body(alert)?).await.map_err(classify)?;
        }
        Ok(())
    }
}
