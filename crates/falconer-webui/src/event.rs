//! What the store keeps of an alert: the indexed columns, the full-text document and the
//! alert's JSON exactly as falcosidekick sends it (returned as is by search).

use std::sync::Arc;

use falconer_event::Alert;
use serde::Deserialize;
use serde_json::Value;

/// One row to insert.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub uuid: String,
    pub ts_us: i64,
    pub priority: &'static str,
    pub rule: String,
    pub source: String,
    pub hostname: String,
    pub tags: Vec<String>,
    pub output: String,
    /// Searchable text: output, rule, priority, source, hostname, tags, `key=value` fields.
    pub doc: String,
    pub json: String,
}

impl Row {
    pub(crate) fn from_alert(alert: &Alert) -> Row {
        let mut json_bytes = alert.to_json();
        let generated;
        let uuid = if alert.uuid.is_empty() {
            // Not from Falconer's ingest (which always sets one): give it an identity.
            let mut copy = alert.clone();
            copy.uuid = uuid::Uuid::new_v4().to_string();
            generated = copy;
            json_bytes = generated.to_json();
            generated.uuid.clone()
        } else {
            alert.uuid.clone()
        };
        let json = String::from_utf8_lossy(json_bytes).into_owned();
        let mut doc = String::with_capacity(json.len());
        for part in [
            alert.output.as_str(),
            alert.rule.as_str(),
            alert.priority.as_str(),
            alert.source.as_str(),
            alert.hostname.as_str(),
        ] {
            doc.push_str(part);
            doc.push('\n');
        }
        doc.push_str(&alert.tags.join(" "));
        for (k, v) in &alert.output_fields {
            doc.push('\n');
            doc.push_str(k);
            doc.push('=');
            match v {
                Value::String(s) => doc.push_str(s),
                other => doc.push_str(&other.to_string()),
            }
        }
        Row {
            uuid,
            ts_us: alert.time.timestamp_micros(),
            priority: alert.priority.as_str(),
            rule: alert.rule.clone(),
            source: alert.source.clone(),
            hostname: alert.hostname.clone(),
            tags: alert.tags.clone(),
            output: alert.output.clone(),
            doc,
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
