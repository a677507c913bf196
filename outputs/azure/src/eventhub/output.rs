//! Delivery: one `messages` request per batch.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;
use http::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use serde::Serialize;

use crate::common::AzureAuth;

/// The content type of one event sent alone (its body is the event's).
pub const SINGLE_CONTENT_TYPE: &str = "application/atom+xml;type=entry;charset=utf-8";
/// The content type of a batch of events.
pub const BATCH_CONTENT_TYPE: &str = "application/vnd.microsoft.servicebus.json";

#[derive(Serialize)]
struct Event<'a> {
    #[serde(rename = "Body")]
    body: &'a str,
}

/// `[{"Body":"<payload JSON>"}, …]`: a batch, each event's body the payload JSON.
pub fn batch_body(batch: &[Arc<Alert>]) -> Vec<u8> {
    let texts: Vec<String> = batch
        .iter()
        .map(|a| String::from_utf8_lossy(a.json_bytes()).into_owned())
        .collect();
    let events: Vec<Event<'_>> = texts.iter().map(|t| Event { body: t }).collect();
    // Strings always serialize.
    serde_json::to_vec(&events).unwrap_or_default()
}

/// A running Event Hubs instance.
#[derive(Debug)]
pub(crate) struct EventHub {
    pub(crate) target: HttpTarget,
    pub(crate) auth: AzureAuth,
}

#[async_trait::async_trait]
impl Output for EventHub {
    /// Event Hubs takes a request's events together: 429 and 5xx (a busy or throttled hub)
    /// are retried, a 401 renews the token and retries, other 4xx (no such hub, no
    /// permission, too large) are final with the service's answer.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        let (body, content_type) = match batch {
            [] => return Ok(()),
            [one] => (one.json_bytes().to_vec(), SINGLE_CONTENT_TYPE),
            many => (batch_body(many), BATCH_CONTENT_TYPE),
        };
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        self.auth.send(&self.target, body.into(), headers).await
    }
}
