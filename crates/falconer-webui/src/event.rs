//! What the store keeps of an alert: its numbers in the catalog (rule, source, hostname,
//! tags, priority), the distinct words of its searchable text and the alert's JSON exactly
//! as falcosidekick sends it (returned as is by search).

use std::borrow::Cow;
use std::sync::Arc;

use falconer_event::Alert;
use serde::Deserialize;
use serde_json::Value;

use crate::store::text::DocBuilder;

/// One row to insert, borrowing from its alert.
#[derive(Debug, Clone)]
pub(crate) struct Row<'a> {
    pub uuid: Cow<'a, str>,
    pub ts_us: i64,
    pub priority: &'static str,
    pub rule: &'a str,
    pub source: &'a str,
    pub hostname: &'a str,
    pub tags: &'a [String],
    /// The distinct words of output, rule, priority, source, hostname, tags, field names
    /// and values (see [`crate::store::text`]).
    pub doc: String,
    /// The alert's JSON (UTF-8: rendered by serde_json), as the store compresses it.
    pub json: Cow<'a, [u8]>,
}

impl<'a> Row<'a> {
    pub(crate) fn from_alert(alert: &'a Alert) -> Row<'a> {
        let (uuid, json) = if alert.uuid.is_empty() {
            // Not from Falconer's ingest (which always sets one): give it an identity.
            let mut copy = alert.clone();
            copy.uuid = uuid::Uuid::new_v4().to_string();
            let json = copy.to_json().to_vec();
            (Cow::Owned(copy.uuid), Cow::Owned(json))
        } else {
            (
                Cow::Borrowed(alert.uuid.as_str()),
                Cow::Borrowed(alert.to_json()),
            )
        };
        let mut doc = DocBuilder::default();
        for part in [
            alert.output.as_str(),
            alert.rule.as_str(),
            alert.priority.as_str(),
            alert.source.as_str(),
            alert.hostname.as_str(),
        ] {
            doc.push(part);
        }
        for t in &alert.tags {
            doc.push(t);
        }
        for (k, v) in &alert.output_fields {
            doc.push(k);
            match v {
                Value::String(s) => doc.push(s),
                other => doc.push(&other.to_string()),
            }
        }
        Row {
            uuid,
            ts_us: alert.time.timestamp_micros(),
            priority: alert.priority.as_str(),
            rule: &alert.rule,
            source: &alert.source,
            hostname: &alert.hostname,
            tags: &alert.tags,
            doc: doc.finish(),
            json,
        }
    }
}

/// falcosidekick's WebUI output body: `{"event": <payload>, "outputs": [..]}`.
#[derive(Debug, Deserialize)]
pub struct AddBody {
    /// The Falco payload, with its `uuid`.
    pub event: Value,
    /// The sender's enabled outputs.
    #[serde(default)]
    pub outputs: Vec<String>,
}

/// Why a posted event was refused.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// Not a `{event, outputs}` body.
    #[error("invalid body: {0}")]
    Body(String),
    /// The event has no valid UUID.
    #[error("event.uuid must be a UUID")]
    Uuid,
    /// The event is not a Falco alert.
    #[error("invalid event: {0}")]
    Event(#[from] falconer_event::DecodeError),
}

/// Parses a falcosidekick WebUI POST into an alert (UUID kept).
pub fn parse_add(body: &[u8]) -> Result<(Arc<Alert>, Vec<String>), AddError> {
    let add: AddBody = serde_json::from_slice(body).map_err(|e| AddError::Body(e.to_string()))?;
    let uuid_ok = add
        .event
        .get("uuid")
        .and_then(Value::as_str)
        .is_some_and(|u| uuid::Uuid::parse_str(u).is_ok());
    if !uuid_ok {
        return Err(AddError::Uuid);
    }
    let bytes = serde_json::to_vec(&add.event).map_err(|e| AddError::Body(e.to_string()))?;
    let alert = Alert::decode(&bytes)?;
    if alert.rule.is_empty() {
        return Err(AddError::Event(falconer_event::DecodeError::EmptyRule));
    }
    Ok((Arc::new(alert), add.outputs))
}
