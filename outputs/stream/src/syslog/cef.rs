//! falcosidekick's CEF line, escaped as the CEF specification requires (falcosidekick does not
//! escape at all, so a `|` in a rule or an `=` in an output broke the record):
//! `CEF:0|Falcosecurity|Falco|1.0|Falco Event|<rule>|<severity>|uuid=… start=… msg=…
//! source=… [hostname=…] outputfields=k:v k:v [tags=a,b]`.

use std::fmt::Write as _;

use chrono::SecondsFormat;
use falconer_event::{go_value, Alert, Priority};

/// falcosidekick's CEF severity (0–10) of a priority.
pub fn cef_severity(priority: Priority) -> u8 {
    match priority {
        Priority::Debug => 0,
        Priority::Informational => 3,
        Priority::Notice => 4,
        Priority::Warning => 6,
        Priority::Error => 7,
        Priority::Critical => 8,
        Priority::Alert => 9,
        Priority::Emergency => 10,
    }
}

/// A header field: `\` → `\\`, `|` → `\|`; newlines are not allowed in the header, so CR and
/// LF become spaces.
pub fn escape_header(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// An extension key or value: `\` → `\\`, `=` → `\=`, LF → `\n`, CR → `\r` (`|` needs no
/// escaping there).
pub fn escape_extension(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '=' => out.push_str("\\="),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// The CEF line of an alert. Output fields are in key order (falcosidekick iterates a Go map,
/// so its order is random); `start` is the alert's time as Go's `time.RFC3339` writes it.
pub fn cef_line(alert: &Alert) -> String {
    let mut s = String::with_capacity(alert.output.len() * 2 + 256);
    let _ = write!(
        s,
        "CEF:0|Falcosecurity|Falco|1.0|Falco Event|{}|{}|uuid={} start={} msg={} source={}",
        escape_header(&alert.rule),
        cef_severity(alert.priority),
        escape_extension(&alert.uuid),
        alert.time.to_rfc3339_opts(SecondsFormat::Secs, true),
        escape_extension(&alert.output),
        escape_extension(&alert.source),
    );
    if !alert.hostname.is_empty() {
        s.push_str(" hostname=");
        s.push_str(&escape_extension(&alert.hostname));
    }
    s.push_str(" outputfields=");
    let mut pairs = Vec::with_capacity(alert.output_fields.len());
    for (k, v) in &alert.output_fields {
        let value = go_value(v, "<nil>");
        pairs.push(format!(
            "{}:{}",
            escape_extension(k),
            escape_extension(&value)
        ));
    }
    s.push_str(&pairs.join(" "));
    if !alert.tags.is_empty() {
        s.push_str(" tags=");
        s.push_str(&escape_extension(&alert.tags.join(",")));
    }
    s
}
