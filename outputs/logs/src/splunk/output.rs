//! Delivery: one HEC request per batch, and HEC's answers classified for the core.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;
use serde::Deserialize;

use super::encode::HecEncoder;

/// HEC's health endpoint, next to the event endpoint.
const HEALTH_PATH: &str = "/services/collector/health";

/// A running Splunk instance.
#[derive(Debug)]
pub(crate) struct Splunk {
    target: HttpTarget,
    encoder: HecEncoder,
}

impl Splunk {
    pub(crate) fn new(target: HttpTarget, encoder: HecEncoder) -> Self {
        Splunk { target, encoder }
    }
}

/// HEC's answer body: `{"text":"Invalid token","code":4}`, with the failing event's index
/// for data format errors.
#[derive(Deserialize)]
struct HecAnswer {
    text: String,
    code: Option<i64>,
    #[serde(rename = "invalid-event-number")]
    invalid_event_number: Option<i64>,
}

/// HEC's own words for an error answer: `Invalid token (HEC code 4)`; the body as it is when
/// it is not HEC's JSON (a proxy's answer, say).
pub(crate) fn hec_reason(body: &str) -> String {
    let Ok(answer) = serde_json::from_str::<HecAnswer>(body) else {
        return body.to_owned();
    };
    let mut reason = answer.text;
    match (answer.code, answer.invalid_event_number) {
        (Some(code), Some(n)) => {
            reason.push_str(&format!(" (HEC code {code}, event {n} of the batch)"));
        }
        (Some(code), None) => reason.push_str(&format!(" (HEC code {code})")),
        (None, Some(n)) => reason.push_str(&format!(" (event {n} of the batch)")),
        (None, None) => {}
    }
    reason
}

/// HEC's semantics on top of the shared classification, which already decides by status:
/// 429, 500 (code 8, internal error) and 503 (code 9, server busy) are retried, after
/// `Retry-After` when given; 400 (no data, invalid format, incorrect index), 401 (token
/// missing or malformed), 403 (token invalid or disabled) and other 4xx are final. The
/// reason kept is HEC's `text` and `code` instead of the raw JSON.
pub(crate) fn classify(error: SendError) -> SendError {
    match error {
        SendError::Status {
            status,
            body,
            retry_after,
        } => SendError::Status {
            status,
            body: hec_reason(&body),
            retry_after,
        },
        e => e,
    }
}

/// The health URL for an event URL ending in `/services/collector[/event[/1.0]]`.
fn health_url(event_url: &reqwest::Url) -> Option<reqwest::Url> {
    let path = event_url.path().trim_end_matches('/');
    let base = [
        "/services/collector/event/1.0",
        "/services/collector/event",
        "/services/collector",
    ]
    .iter()
    .find_map(|suffix| path.strip_suffix(suffix))?;
    let mut url = event_url.clone();
    url.set_path(&format!("{base}{HEALTH_PATH}"));
    url.set_query(None);
    Some(url)
}

#[async_trait::async_trait]
impl Output for Splunk {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let body = self.encoder.encode(batch);
        self.target.send(body).await.map_err(classify)
    }

    /// `GET …/services/collector/health` when the URL is HEC's usual one; nothing otherwise.
    async fn healthcheck(&self) -> Result<(), SendError> {
        let Some(url) = health_url(self.target.url()) else {
            return Ok(());
        };
        self.target
            .retarget(reqwest::Method::GET, url)
            .send(Vec::new())
            .await
            .map_err(classify)
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn health_url_replaces_the_event_path() {
        let url = |s: &str| reqwest::Url::parse(s).unwrap();
        assert_eq!(
            health_url(&url("https://s:8088/services/collector/event?x=1")).map(String::from),
            Some("https://s:8088/services/collector/health".into())
        );
        assert_eq!(
            health_url(&url("http://p/splunk/services/collector")).map(String::from),
            Some("http://p/splunk/services/collector/health".into())
        );
        assert_eq!(health_url(&url("http://p/ingest")), None);
    }

    #[test]
    fn reasons_are_hecs_text_and_code() {
        assert_eq!(
            hec_reason(r#"{"text":"Invalid token","code":4}"#),
            "Invalid token (HEC code 4)"
        );
        assert_eq!(
            hec_reason(r#"{"text":"Invalid data format","code":6,"invalid-event-number":2}"#),
            "Invalid data format (HEC code 6, event 2 of the batch)"
        );
        assert_eq!(
            hec_reason("<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
    }
}
