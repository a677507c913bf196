//! Delivery: one `call` per alert; an error the function itself returned fails the attempt
//! (retried, then a dead letter with the function's error; falcosidekick counted it
//! delivered).

use std::sync::Arc;

use falconer_core::{send_each, Alert, Output, SendError};
use falconer_http::HttpTarget;
use serde::Deserialize;

use crate::common::GoogleAuth;

/// Bytes of a call's answer read at most.
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// `{"data":"<the payload JSON, as a string>"}`.
pub fn call_body(alert: &Alert) -> Vec<u8> {
    let data = String::from_utf8_lossy(alert.json_bytes());
    // A string field always serializes.
    serde_json::to_vec(&serde_json::json!({ "data": data })).unwrap_or_default()
}

#[derive(Deserialize)]
struct CallAnswer {
    #[serde(default)]
    error: Option<String>,
}

/// A running Cloud Functions instance.
#[derive(Debug)]
pub(crate) struct CloudFunctions {
    pub(crate) target: HttpTarget,
    pub(crate) auth: GoogleAuth,
}

impl CloudFunctions {
    async fn send_one(&self, alert: &Alert) -> Result<(), SendError> {
        let answer = self
            .auth
            .send(&self.target, call_body(alert).into(), MAX_ANSWER_BYTES)
            .await?;
        match serde_json::from_slice::<CallAnswer>(&answer) {
            Ok(CallAnswer { error: Some(error) }) if !error.is_empty() => Err(SendError::Other(
                format!("the function failed: {error}").into(),
            )),
            _ => Ok(()),
        }
    }
}

#[async_trait::async_trait]
impl Output for CloudFunctions {
    /// 429 and 5xx are retried, other 4xx final with Google's reason.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        send_each(batch, |alert| self.send_one(alert)).await
    }
}
