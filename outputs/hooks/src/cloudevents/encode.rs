//! Alert → CloudEvent in binary content mode (headers and body), pure.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use falconer_core::Alert;
use falconer_event::AlertTime;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};

/// `specversion`.
pub const SPEC_VERSION: &str = "1.0";
/// `source` of every event, as falcosidekick sets it.
pub const SOURCE: &str = "https://falco.org";
/// `type` of every event, as falcosidekick sets it.
pub const TYPE: &str = "falco.rule.output.v1";

/// One event as sent: its headers (in this order) and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudEvent {
    /// `Content-Type` and the `ce-*` headers.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The payload JSON.
    pub body: Vec<u8>,
}

/// Builds events with the configured extensions.
#[derive(Debug, Clone, Default)]
pub struct Encoder {
    /// `extensions`: name (a valid attribute name) → value.
    pub extensions: BTreeMap<String, String>,
}

/// `time` as Go's `time.RFC3339Nano` in UTC writes it (the SDK's format): the fraction
/// without trailing zeros, none for whole seconds.
pub fn rfc3339_nano(time: &AlertTime) -> String {
    let utc = time.naive_utc();
    let mut out = utc.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = chrono::Timelike::nanosecond(&utc) % 1_000_000_000;
    if nanos != 0 {
        let digits = format!("{nanos:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// `value` as a header value: as it is when it is one, otherwise percent-encoded as the HTTP
/// binding asks (`%`, and the control characters a header cannot carry).
fn header_value(value: &str) -> HeaderValue {
    if let Ok(v) = HeaderValue::from_str(value) {
        return v;
    }
    let mut encoded = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if c == '%' || c.is_control() {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(encoded, "%{b:02X}");
            }
        } else {
            encoded.push(c);
        }
    }
    HeaderValue::from_str(&encoded).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn ce(name: &str) -> Option<HeaderName> {
    HeaderName::from_bytes(format!("ce-{name}").as_bytes()).ok()
}

impl Encoder {
    /// The event for `alert`.
    pub fn encode(&self, alert: &Alert) -> CloudEvent {
        let mut attributes: Vec<(&str, String)> = vec![
            ("specversion", SPEC_VERSION.into()),
            ("id", alert.uuid.clone()),
            ("source", SOURCE.into()),
            ("type", TYPE.into()),
            ("time", rfc3339_nano(&alert.time)),
            ("priority", alert.priority.to_string()),
            ("rule", alert.rule.clone()),
            ("eventsource", alert.source.clone()),
        ];
        if !alert.hostname.is_empty() {
            attributes.push(("hostname", alert.hostname.clone()));
        }
        for (name, value) in &self.extensions {
            // A configured extension replaces a built-in one of the same name, as with the SDK.
            match attributes.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1.clone_from(value),
                None => attributes.push((name, value.clone())),
            }
        }
        let mut headers = vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))];
        headers.extend(
            attributes
                .iter()
                .filter_map(|(name, value)| Some((ce(name)?, header_value(value)))),
        );
        CloudEvent {
            headers,
            body: alert.json_bytes().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_a_header_cannot_carry_are_percent_encoded() {
        assert_eq!(header_value("Terminal shell"), "Terminal shell");
        assert_eq!(header_value("a\nb%"), "a%0Ab%25");
    }
}
