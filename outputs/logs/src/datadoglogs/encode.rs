//! falcosidekick's log entry, pure.

use std::sync::Arc;

use falconer_core::{Alert, SendError};
use falconer_http::go_json_line;
use serde::Serialize;

/// One log entry, fields in falcosidekick's order, empty ones left out (`omitempty`).
#[derive(Serialize)]
struct Entry<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    ddsource: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    hostname: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    service: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    message: &'a str,
    #[serde(skip_serializing_if = "String::is_empty")]
    ddtags: String,
}

fn encode_error(e: impl std::error::Error + Send + Sync + 'static) -> SendError {
    SendError::Encode(Box::new(e))
}

/// The entry of `alert`. Enrichment sorted its tags (falcosidekick sorts them in place before
/// writing both `ddtags` and the message), so the message is the shared payload JSON.
fn entry<'a>(alert: &'a Alert, service: &'a str) -> Result<Entry<'a>, SendError> {
    let message = std::str::from_utf8(alert.json_bytes()).map_err(encode_error)?;
    Ok(Entry {
        ddsource: "falco",
        hostname: &alert.hostname,
        service,
        message,
        ddtags: alert.tags.join(","),
    })
}

/// The request body: falcosidekick's single entry object for one alert, a JSON array of
/// entries for more; with the trailing newline of Go's JSON encoder.
pub fn body(batch: &[Arc<Alert>], service: &str) -> Result<Vec<u8>, SendError> {
    let entries = batch
        .iter()
        .map(|a| entry(a, service))
        .collect::<Result<Vec<_>, _>>()?;
    match entries.as_slice() {
        [one] => go_json_line(one),
        many => go_json_line(many),
    }
}
