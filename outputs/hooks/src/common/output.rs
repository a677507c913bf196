//! The running hook output: the payload JSON of one alert per request.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;
use http::header::{HeaderMap, HeaderName, HeaderValue};

/// The header falcosidekick's Kubeless and Fission requests carry the event's ID in.
pub const EVENT_ID: HeaderName = HeaderName::from_static("event-id");

/// The body falcosidekick posts for one alert: its payload JSON and a newline (Go's
/// `json.Encoder`).
pub fn payload_line(alert: &Alert) -> Vec<u8> {
    let json = alert.json_bytes();
    let mut body = Vec::with_capacity(json.len() + 1);
    body.extend_from_slice(json);
    body.push(b'\n');
    body
}

/// A hook instance: posts each alert's payload JSON to one URL.
#[derive(Debug)]
pub struct PayloadHook {
    target: HttpTarget,
    event_id: bool,
}

impl PayloadHook {
    /// Posts to `target`; with `event_id`, each request carries `event-id: <the alert's UUID>`
    /// (the same on every retry of that alert).
    pub fn new(target: HttpTarget, event_id: bool) -> Self {
        PayloadHook { target, event_id }
    }

    async fn send_one(&self, alert: &Alert) -> Result<(), SendError> {
        let body = payload_line(alert);
        if !self.event_id {
            return self.target.send(body).await;
        }
        let mut headers = HeaderMap::new();
        match HeaderValue::from_str(&alert.uuid) {
            Ok(id) => {
                headers.insert(EVENT_ID, id);
            }
            Err(_) => {
                tracing::debug!(uuid = %alert.uuid, "UUID is not a header value; no event-id.")
            }
        }
        self.target.send_with_headers(body, headers).await
    }
}

#[async_trait::async_trait]
impl Output for PayloadHook {
    /// One request per alert (the core gives batches of one); 429, 5xx, timeouts and refused
    /// connections are retried by the shared classification, other 4xx are final.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        falconer_core::send_each(batch, |alert| self.send_one(alert)).await
    }
}
