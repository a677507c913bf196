//! The webhook body: what the apiserver's audit webhook backend POSTs (an `EventList`), or a
//! single `Event`, or a JSON array of either. `apiVersion` is not checked (as in Falco).

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::event::{AuditEvent, EventError};

/// Limits of one webhook request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// Largest body accepted (Falco's `webhookMaxBatchSize`, 12 MiB).
    pub max_request_bytes: usize,
    /// Largest single event kept (Falco's `maxEventSize`, 256 KiB); larger ones are skipped.
    pub max_event_bytes: usize,
}

/// Falco's default request limit: 12 MiB, about 20% above the apiserver's 10 MiB batches.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 12 * 1024 * 1024;
/// Falco's default event limit: 256 KiB.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 256 * 1024;

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
        }
    }
}

/// Why a body is refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Larger than `max_request_bytes`.
    #[error("request body larger than {0} bytes")]
    TooLarge(usize),
    /// Not JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// JSON, but not an EventList, an Event or an array of them.
    #[error("{0}")]
    Shape(String),
}

/// An item of the body that was not evaluated, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Its 0-based position among the body's events.
    pub index: usize,
    /// Why.
    pub reason: SkipReason,
}

/// Why an event was skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkipReason {
    /// Larger than `max_event_bytes`.
    #[error("event larger than {0} bytes")]
    TooLarge(usize),
    /// Not usable.
    #[error(transparent)]
    Invalid(#[from] EventError),
}

/// The events of a body, and the items skipped.
#[derive(Debug, Default)]
pub struct ParsedBody {
    /// The events, in body order.
    pub events: Vec<AuditEvent>,
    /// The items not evaluated.
    pub skipped: Vec<Skipped>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default)]
    kind: Option<String>,
    #[serde(borrow, default)]
    items: Option<Vec<&'a RawValue>>,
}

/// Parses a webhook body within `limits`.
pub fn parse_body(body: &[u8], limits: &BodyLimits) -> Result<ParsedBody, BodyError> {
    if body.len() > limits.max_request_bytes {
        return Err(BodyError::TooLarge(limits.max_request_bytes));
    }
    let text = std::str::from_utf8(body).map_err(|e| BodyError::Json(e.to_string()))?;
    let mut raws = Vec::new();
    collect(text, true, &mut raws)?;
    let mut parsed = ParsedBody::default();
    for (index, raw) in raws.into_iter().enumerate() {
        let text = raw.get();
        if text.len() > limits.max_event_bytes {
            parsed.skipped.push(Skipped {
                index,
                reason: SkipReason::TooLarge(limits.max_event_bytes),
            });
            continue;
        }
        let event = serde_json::from_str(text)
            .map_err(|_| EventError::NotAnObject)
            .and_then(AuditEvent::from_json);
        match event {
            Ok(event) => parsed.events.push(event),
            Err(e) => parsed.skipped.push(Skipped {
                index,
                reason: e.into(),
            }),
        }
    }
    Ok(parsed)
}

/// The events in `text`: an EventList's items, an Event, or (at the top) an array of either.
/// Each level is scanned once; an event's own JSON is parsed later, on its own.
fn collect<'a>(text: &'a str, top: bool, out: &mut Vec<&'a RawValue>) -> Result<(), BodyError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        if !top {
            return Err(BodyError::Shape(
                "an array may hold EventLists and Events, not arrays".into(),
            ));
        }
        let items: Vec<&RawValue> =
            serde_json::from_str(text).map_err(|e| BodyError::Json(e.to_string()))?;
        for item in items {
            collect(item.get(), false, out)?;
        }
        return Ok(());
    }
    if !trimmed.starts_with('{') {
        // Not an object or an array: invalid JSON, or a JSON scalar.
        serde_json::from_str::<&RawValue>(text).map_err(|e| BodyError::Json(e.to_string()))?;
        return Err(BodyError::Shape(
            "expected an audit EventList, an Event or an array of them".into(),
        ));
    }
    let envelope: Envelope<'a> = serde_json::from_str(text).map_err(|e| {
        if e.is_data() {
            BodyError::Shape(e.to_string())
        } else {
            BodyError::Json(e.to_string())
        }
    })?;
    match (envelope.kind.as_deref(), envelope.items) {
        (Some("EventList") | None, Some(items)) => out.extend(items),
        (Some("Event"), _) => out.push(whole(text)?),
        (Some("EventList"), None) => {}
        (Some(other), _) => {
            return Err(BodyError::Shape(format!(
                "kind {other:?} is not an audit EventList or Event"
            )))
        }
        (None, None) => {
            return Err(BodyError::Shape(
                "an object without kind: expected an audit EventList or Event".into(),
            ))
        }
    }
    Ok(())
}

/// `text` (valid JSON, already checked) as a raw value.
fn whole(text: &str) -> Result<&RawValue, BodyError> {
    serde_json::from_str(text).map_err(|e| BodyError::Json(e.to_string()))
}
