//! Delivery: one Events API request per alert, and PagerDuty's answers classified.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;
use reqwest::StatusCode;

use super::encode::PagerDutyEncoder;

/// A running PagerDuty instance.
#[derive(Debug)]
pub(crate) struct PagerDuty {
    target: HttpTarget,
    encoder: PagerDutyEncoder,
}

impl PagerDuty {
    pub(crate) fn new(target: HttpTarget, encoder: PagerDutyEncoder) -> Self {
        PagerDuty { target, encoder }
    }
}

/// PagerDuty's semantics on top of the shared classification: 202 is success; 400 (an
/// invalid event: bad routing key, a field over its limit) is a final rejection with
/// PagerDuty's `errors`; 429 (rate limit) and 5xx are retried, after `Retry-After` when given.
pub(crate) fn classify(error: SendError) -> SendError {
    match error {
        SendError::Status { status, body, .. } if status == StatusCode::BAD_REQUEST => {
            SendError::Rejected(format!("PagerDuty refused the event (400): {body}"))
        }
        e => e,
    }
}

#[async_trait::async_trait]
impl Output for PagerDuty {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        for alert in batch {
            let body = self.encoder.body(alert)?;
            self.target.send(body).await.map_err(classify)?;
        }
        Ok(())
    }

    fn take_truncations(&self) -> u64 {
        self.encoder.truncations.take()
    }
}
