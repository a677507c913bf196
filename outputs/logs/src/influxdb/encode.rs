//! Line protocol, pure: one point per alert, escaped as InfluxDB's parser expects.

use std::fmt::Write as _;

use falconer_event::Alert;
use serde_json::Value;

/// Timestamp precision of the points (`precision` key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// Nanoseconds (default).
    Ns,
    /// Microseconds.
    Us,
    /// Milliseconds.
    Ms,
    /// Seconds.
    S,
}

impl falconer_core::Choices for Precision {
    fn parse(raw: &str) -> Option<Self> {
        Precision::parse(raw)
    }

    fn problem(raw: &str) -> String {
        format!("{raw:?} is not ns, us, ms or s")
    }
}

impl Precision {
    /// Parses `ns`, `us`/`u`, `ms`, `s` (InfluxDB's names).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "ns" | "n" => Some(Precision::Ns),
            "us" | "u" => Some(Precision::Us),
            "ms" => Some(Precision::Ms),
            "s" => Some(Precision::S),
            _ => None,
        }
    }

    /// The query parameter value (InfluxDB 1.x and 2.x both accept these).
    pub fn as_param(self) -> &'static str {
        match self {
            Precision::Ns => "ns",
            Precision::Us => "us",
            Precision::Ms => "ms",
            Precision::S => "s",
        }
    }

    fn divisor(self) -> i64 {
        match self {
            Precision::Ns => 1,
            Precision::Us => 1_000,
            Precision::Ms => 1_000_000,
            Precision::S => 1_000_000_000,
        }
    }
}

/// Tags every point has; output fields of the same name are left out.
const FIXED_TAGS: [&str; 5] = ["rule", "priority", "source", "hostname", "tags"];

/// Escapes a tag key, tag value or field key: `,`, `=` and space get a backslash; line
/// breaks, which line protocol cannot carry, become (escaped) spaces. A backslash stays as it
/// is (InfluxDB unescapes only `\,`, `\=` and `\ `), except one that would escape what
/// follows it, which is dropped.
fn escape_key(s: &str, out: &mut String) {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ',' | '=' | ' ' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push_str("\\ "),
            '\\' if matches!(chars.peek(), None | Some(',' | '=' | ' ' | '\n' | '\r')) => {}
            c => out.push(c),
        }
    }
}

/// Escapes a string field value: `"` and `\` get a backslash; line breaks become spaces.
fn escape_string(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
}

fn tag(out: &mut String, key: &str, value: &str) {
    // An empty tag value is invalid line protocol: such tags are left out.
    if value.is_empty() {
        return;
    }
    out.push(',');
    escape_key(key, out);
    out.push('=');
    escape_key(value, out);
}

/// One point for `alert`, ending with `\n`.
pub fn point(alert: &Alert, precision: Precision, out: &mut String) {
    out.push_str("events");
    tag(out, "rule", &alert.rule);
    tag(out, "priority", alert.priority.as_str());
    tag(out, "source", &alert.source);
    for (key, value) in &alert.output_fields {
        if let Value::String(s) = value {
            if !FIXED_TAGS.contains(&key.as_str()) {
                tag(out, key, s);
            }
        }
    }
    tag(out, "hostname", &alert.hostname);
    tag(out, "tags", &alert.tags.join("_"));
    out.push_str(" value=\"");
    escape_string(&alert.output, out);
    out.push('"');
    let nanos = alert.time.timestamp_nanos_opt().unwrap_or_default();
    let _ = writeln!(out, " {}", nanos / precision.divisor());
}
