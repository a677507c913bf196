//! The Falco alert: what Falco's `http_output` POSTs, and what outputs send on.

use std::sync::OnceLock;

use bytes::Bytes;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::json::{go_json_map_len, go_json_str_len, to_go_json_sized, GoFormatter};
use crate::priority::Priority;
use crate::time::{format_time_len, is_zero_time, parse_time, time_to_string, AlertTime};

/// Rule name of the alert that `POST /test` injects; such alerts bypass `minimumpriority`.
pub const TEST_RULE: &str = "Test rule";

/// One Falco alert after parsing (and, once enriched, ready to be shared as `Arc<Alert>`).
///
/// `output_fields` keeps every JSON value as sent: numbers keep their digits
/// (`12345678901234567890`, `1.50`, `-0.0`), `null`, arrays and objects stay as they were. The
/// one normalisation is exponent notation (`1e400` is re-written `1e+400`), which Falco never emits.
#[derive(Debug, Clone)]
pub struct Alert {
    /// Random UUIDv4 set by enrichment (any value sent by the client is replaced; one read
    /// back with [`Alert::from_payload`] is kept).
    pub uuid: String,
    /// The formatted Falco message.
    pub output: String,
    /// Severity.
    pub priority: Priority,
    /// Name of the rule that fired.
    pub rule: String,
    /// When the event happened, nanosecond precise.
    pub time: AlertTime,
    /// The rule's output fields, plus custom and templated fields after enrichment.
    pub output_fields: Map<String, Value>,
    /// Event source (`syscalls`, `k8s_audit`, ...); `syscalls` when not sent.
    pub source: String,
    /// Rule tags, plus custom tags after enrichment, sorted.
    pub tags: Vec<String>,
    /// Host that emitted the alert.
    pub hostname: String,
    json: OnceLock<Bytes>,
}

/// Why a request body is not a usable Falco alert.
///
/// falcosidekick answers all of these with the same 400 body; [`DecodeError::reason`] gives a
/// bounded label for metrics and logs.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON, or a field has the wrong JSON type.
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The body is not a JSON object.
    #[error("body is not a JSON object")]
    NotAnObject,
    /// `priority` missing or not a Falco priority.
    #[error("invalid priority {0:?}")]
    Priority(String),
    /// `time` missing, not RFC 3339, or Go's zero time.
    #[error("invalid time {0:?}")]
    Time(String),
    /// `rule` missing or empty.
    #[error("empty rule")]
    EmptyRule,
    /// `output_fields` missing or empty (after enrichment).
    #[error("empty output_fields")]
    EmptyOutputFields,
}

impl DecodeError {
    /// A bounded label naming the kind of problem.
    pub fn reason(&self) -> &'static str {
        match self {
            DecodeError::Json(_) | DecodeError::NotAnObject => "invalid_json",
            DecodeError::Priority(_) => "invalid_priority",
            DecodeError::Time(_) => "invalid_time",
            DecodeError::EmptyRule => "empty_rule",
            DecodeError::EmptyOutputFields => "empty_output_fields",
        }
    }
}

/// The accepted wire shape. Strings may be `null` (Go leaves the zero value); unknown fields
/// are ignored, as Go's decoder does.
#[derive(Deserialize)]
struct WireAlert {
    #[serde(default)]
    uuid: Option<String>,
    #[serde(default)]
    output: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    output_fields: Option<Map<String, Value>>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    hostname: Option<String>,
}

impl Alert {
    /// Builds an alert from its parts (used by `/test` and tests).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        output: impl Into<String>,
        priority: Priority,
        rule: impl Into<String>,
        time: AlertTime,
        output_fields: Map<String, Value>,
        source: impl Into<String>,
        tags: Vec<String>,
        hostname: impl Into<String>,
    ) -> Self {
        Alert {
            uuid: String::new(),
            output: output.into(),
            priority,
            rule: rule.into(),
            time,
            output_fields,
            source: source.into(),
            tags,
            hostname: hostname.into(),
            json: OnceLock::new(),
        }
    }

    /// Parses one Falco JSON alert. Checks the JSON shape, the priority and the time; the
    /// checks that enrichment can change (rule, output_fields) are in [`Alert::validate`].
    pub fn decode(body: &[u8]) -> Result<Alert, DecodeError> {
        // serde would accept a JSON array as a struct; Go (and so falcosidekick) does not.
        if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(DecodeError::NotAnObject);
        }
        Alert::from_wire(serde_json::from_slice(body)?)
    }

    fn from_wire(wire: WireAlert) -> Result<Alert, DecodeError> {
        let priority_raw = wire.priority.unwrap_or_default();
        let priority = priority_raw
            .parse::<Priority>()
            .map_err(|_| DecodeError::Priority(priority_raw))?;
        let time_raw = wire.time.unwrap_or_default();
        let time = parse_time(&time_raw).map_err(|_| DecodeError::Time(time_raw.clone()))?;
        if is_zero_time(&time) {
            return Err(DecodeError::Time(time_raw));
        }
        let mut alert = Alert::new(
            wire.output.unwrap_or_default(),
            priority,
            wire.rule.unwrap_or_default(),
            time,
            wire.output_fields.unwrap_or_default(),
            wire.source.unwrap_or_default(),
            wire.tags.unwrap_or_default(),
            wire.hostname.unwrap_or_default(),
        );
        alert.uuid = wire.uuid.unwrap_or_default();
        Ok(alert)
    }

    /// Reads back an alert Falconer wrote itself (its [`Alert::to_json`], kept in the spool or
    /// the dead-letter store): the UUID is kept, nothing is enriched again, and the payload
    /// bytes are reused as they are, so outputs send exactly what they would have sent.
    pub fn from_payload(payload: Bytes) -> Result<Alert, DecodeError> {
        let mut alert = Alert::from_wire(serde_json::from_slice(&payload)?)?;
        alert.json = OnceLock::from(payload);
        Ok(alert)
    }

    /// falcosidekick's `Check()`: a non-empty rule and non-empty output_fields. Runs after
    /// enrichment, so `customfields` can make an alert without output_fields acceptable.
    pub fn validate(&self) -> Result<(), DecodeError> {
        if self.rule.is_empty() {
            return Err(DecodeError::EmptyRule);
        }
        if self.output_fields.is_empty() {
            return Err(DecodeError::EmptyOutputFields);
        }
        Ok(())
    }

    /// True for the alert injected by `POST /test`.
    pub fn is_test(&self) -> bool {
        self.rule == TEST_RULE
    }

    /// The alert as falcosidekick's payload JSON (key order `uuid`, `output`, `priority`,
    /// `rule`, `time`, `output_fields`, `source`, `tags`, `hostname`; empty `uuid`, `tags` and
    /// `hostname` omitted). Computed once and cached: outputs share it.
    pub fn to_json(&self) -> &[u8] {
        self.json_bytes()
    }

    /// [`Alert::to_json`] as shared bytes: cloning is a reference-count increment, so every
    /// output sends the same buffer.
    pub fn json_bytes(&self) -> &Bytes {
        self.json.get_or_init(|| self.render_payload())
    }

    /// A copy with one more output field (replacing one of the same key); its JSON is
    /// rendered anew when asked for.
    pub fn with_output_field(&self, key: &str, value: Value) -> Alert {
        let mut copy = self.clone();
        copy.output_fields.insert(key.to_owned(), value);
        copy.invalidate_json();
        copy
    }

    /// The length of [`Alert::to_json`], computed without rendering it (enrichment's size
    /// rule needs the length; the payload itself is rendered when an output first asks).
    pub fn json_len(&self) -> usize {
        if let Some(json) = self.json.get() {
            return json.len();
        }
        // `{` `}`, and between the fields: `"name":` (quotes and colon), commas.
        let field = |name: &str| name.len() + 3;
        let mut fields = 0usize;
        let mut len = 2;
        if !self.uuid.is_empty() {
            len += field("uuid") + go_json_str_len(&self.uuid);
            fields += 1;
        }
        len += field("output") + go_json_str_len(&self.output);
        len += field("priority") + go_json_str_len(self.priority.as_str());
        len += field("rule") + go_json_str_len(&self.rule);
        // A time holds nothing to escape.
        len += field("time") + 2 + format_time_len(&self.time);
        len += field("output_fields") + go_json_map_len(&self.output_fields);
        len += field("source") + go_json_str_len(&self.source);
        fields += 6;
        if !self.tags.is_empty() {
            let tags: usize = self.tags.iter().map(|t| go_json_str_len(t)).sum();
            len += field("tags") + 2 + tags + self.tags.len() - 1;
            fields += 1;
        }
        if !self.hostname.is_empty() {
            len += field("hostname") + go_json_str_len(&self.hostname);
            fields += 1;
        }
        len + fields - 1
    }

    /// Serializes without touching the cache.
    pub(crate) fn render_json(&self) -> Vec<u8> {
        // Serializing strings, a map of JSON values and a time cannot fail. Started big enough
        // for a typical Falco alert (no reallocation on the way).
        to_go_json_sized(self, RENDER_CAPACITY).unwrap_or_default()
    }

    /// The payload to cache: rendered into this thread's scratch buffer, then copied into an
    /// allocation of exactly its length. (Shrinking the render buffer instead can keep the
    /// whole buffer: an allocator may shrink in place, and an alert waiting in a queue would
    /// then hold 2 KiB for 1 KiB of JSON.)
    fn render_payload(&self) -> Bytes {
        thread_local! {
            static SCRATCH: std::cell::RefCell<Vec<u8>> =
                std::cell::RefCell::new(Vec::with_capacity(RENDER_CAPACITY));
        }
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut buf) => {
                buf.clear();
                let mut ser = serde_json::Serializer::with_formatter(&mut *buf, GoFormatter);
                // Serializing strings, a map of JSON values and a time cannot fail.
                let _ = self.serialize(&mut ser);
                let json = Bytes::copy_from_slice(&buf);
                // An unusually large alert does not keep its buffer for the thread's life.
                if buf.capacity() > 16 * RENDER_CAPACITY {
                    *buf = Vec::with_capacity(RENDER_CAPACITY);
                }
                json
            }
            // Only a render nested in a render (never happens) would get here.
            Err(_) => Bytes::copy_from_slice(&self.render_json()),
        })
    }

    /// Drops the cached JSON after a change (only enrichment mutates alerts).
    pub(crate) fn invalidate_json(&mut self) {
        self.json = OnceLock::new();
    }

    /// A string output field, if present and a string.
    pub fn field_str(&self, key: &str) -> Option<&str> {
        self.output_fields.get(key).and_then(Value::as_str)
    }
}

/// Bytes reserved to render an alert's payload (Falco alerts are mostly 1 to 2 KB).
const RENDER_CAPACITY: usize = 2048;

impl Serialize for Alert {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Alert", 9)?;
        if !self.uuid.is_empty() {
            s.serialize_field("uuid", &self.uuid)?;
        }
        s.serialize_field("output", &self.output)?;
        s.serialize_field("priority", &self.priority)?;
        s.serialize_field("rule", &self.rule)?;
        s.serialize_field("time", &time_to_string(&self.time))?;
        s.serialize_field("output_fields", &self.output_fields)?;
        s.serialize_field("source", &self.source)?;
        if !self.tags.is_empty() {
            s.serialize_field("tags", &self.tags)?;
        }
        if !self.hostname.is_empty() {
            s.serialize_field("hostname", &self.hostname)?;
        }
        s.end()
    }
}

impl PartialEq for Alert {
    fn eq(&self, other: &Self) -> bool {
        self.uuid == other.uuid
            && self.output == other.output
            && self.priority == other.priority
            && self.rule == other.rule
            && self.time == other.time
            && self.output_fields == other.output_fields
            && self.source == other.source
            && self.tags == other.tags
            && self.hostname == other.hostname
    }
}

#[cfg(test)]
#[path = "alert_tests.rs"]
mod tests;
