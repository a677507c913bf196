//! One Kubernetes audit event (`audit.k8s.io/v1` `Event`), as the webhook received it.

use std::cell::OnceCell;

use falconer_event::AlertTime;
use serde_json::Value as Json;

use crate::fields::LIST_SLOTS;

/// One audit event: its JSON, its time (the `stageTimestamp`) and the list fields computed
/// so far. Fields are read by [`falconer_expr::Fields`], implemented in [`crate::fields`].
#[derive(Debug)]
pub struct AuditEvent {
    pub(crate) json: Json,
    pub(crate) time: AlertTime,
    /// Whether the event has an `auditID` (without one, every `ka.*` field is missing, as
    /// in the k8saudit plugin).
    pub(crate) has_audit_id: bool,
    /// `responseStatus.code` as text (Falco gives it as a string).
    pub(crate) response_code: Option<String>,
    /// List fields, computed on first use.
    pub(crate) lists: [OnceCell<Vec<String>>; LIST_SLOTS],
    /// `ka.req.configmap.obj` (rules test it many times), computed on first use.
    pub(crate) configmap_obj: OnceCell<Option<String>>,
}

/// Why one item of a webhook body is not an audit event Falconer can evaluate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The item is not a JSON object.
    #[error("an audit event must be a JSON object")]
    NotAnObject,
    /// `stageTimestamp` is missing or not an RFC 3339 time.
    #[error("missing or invalid stageTimestamp")]
    NoStageTimestamp,
}

impl AuditEvent {
    /// The event in `json`; its time is its `stageTimestamp` (RFC 3339), which it must have.
    pub fn from_json(json: Json) -> Result<AuditEvent, EventError> {
        if !json.is_object() {
            return Err(EventError::NotAnObject);
        }
        let time = json
            .get("stageTimestamp")
            .and_then(Json::as_str)
            .and_then(|t| falconer_event::parse_time(t).ok())
            .ok_or(EventError::NoStageTimestamp)?;
        let time = time.with_timezone(&chrono::Utc).fixed_offset();
        let has_audit_id = json.get("auditID").is_some_and(|id| !id.is_null());
        let response_code = json
            .get("responseStatus")
            .and_then(|s| s.get("code"))
            .and_then(scalar_text);
        Ok(AuditEvent {
            json,
            time,
            has_audit_id,
            response_code,
            lists: std::array::from_fn(|_| OnceCell::new()),
            configmap_obj: OnceCell::new(),
        })
    }

    /// Parses one event from JSON text.
    pub fn from_slice(bytes: &[u8]) -> Result<AuditEvent, EventError> {
        let json: Json = serde_json::from_slice(bytes).map_err(|_| EventError::NotAnObject)?;
        AuditEvent::from_json(json)
    }

    /// The event's JSON.
    pub fn json(&self) -> &Json {
        &self.json
    }

    /// The event time (`stageTimestamp`), in UTC.
    pub fn time(&self) -> AlertTime {
        self.time
    }

    /// Nanoseconds since the Unix epoch of [`AuditEvent::time`] (0 outside i64's range).
    pub fn time_nanos(&self) -> i64 {
        self.time.timestamp_nanos_opt().unwrap_or(0)
    }

    /// The value at `path` (object keys) in the event.
    pub(crate) fn at(&self, path: &[&str]) -> Option<&Json> {
        path.iter().try_fold(&self.json, |v, key| v.get(key))
    }
}

/// A JSON scalar as text: a string as is, a number as written, a boolean as `true`/`false`;
/// `None` for null, arrays and objects.
pub(crate) fn scalar_text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Any JSON value as text: a scalar as [`scalar_text`] gives it, arrays and objects as
/// compact JSON, null as `None`.
pub(crate) fn any_text(v: &Json) -> Option<String> {
    match v {
        Json::Null => None,
        Json::Array(_) | Json::Object(_) => Some(v.to_string()),
        other => scalar_text(other),
    }
}
