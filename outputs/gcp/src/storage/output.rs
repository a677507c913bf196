//! Delivery: one media upload per alert, which never replaces an object
//! (`ifGenerationMatch=0`: two alerts named alike make the second retry under a new name).

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use falconer_core::{send_each, Alert, Output, SendError};
use falconer_event::time_to_string;
use falconer_http::HttpTarget;

use crate::common::GoogleAuth;

/// Bytes of an upload's answer read at most (the object's metadata).
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// falcosidekick's object name: `<prefix>/<YYYY-MM-DD>/<RFC3339Nano>.json`.
pub fn object_name(prefix: &str, now: &DateTime<Utc>) -> String {
    let at: DateTime<FixedOffset> = now.fixed_offset();
    format!(
        "{prefix}/{}/{}.json",
        now.format("%Y-%m-%d"),
        time_to_string(&at)
    )
}

/// A running Cloud Storage instance.
#[derive(Debug)]
pub(crate) struct Storage {
    pub(crate) target: HttpTarget,
    pub(crate) auth: GoogleAuth,
    pub(crate) prefix: String,
}

impl Storage {
    async fn send_one(&self, alert: &Alert) -> Result<(), SendError> {
        let mut url = self.target.url().clone();
        url.query_pairs_mut()
            .append_pair("uploadType", "media")
            .append_pair("name", &object_name(&self.prefix, &Utc::now()))
            .append_pair("ifGenerationMatch", "0");
        let target = self.target.retarget(reqwest::Method::POST, url);
        self.auth
            .send(&target, alert.json_bytes().clone(), MAX_ANSWER_BYTES)
            .await
            .map(|_| ())
            .map_err(|e| match e {
                SendError::Status { status, .. }
                    if status == http::StatusCode::PRECONDITION_FAILED =>
                {
                    SendError::Other(
                        "an object of that name exists; retried under a new name".into(),
                    )
                }
                other => other,
            })
    }
}

#[async_trait::async_trait]
impl Output for Storage {
    /// 429, 5xx and a 412 (an object of that name exists: retried under a new name) are
    /// retried; other 4xx (no such bucket, no permission) are final with Google's reason.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        send_each(batch, |alert| self.send_one(alert)).await
    }
}
