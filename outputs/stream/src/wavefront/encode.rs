//! One point line per alert, in Wavefront's data format as the Go SDK (v0.15) writes it:
//! `"<name>" 1 <unix nanoseconds> source="falco-exporter" "<tag>"="<value>" …\n`.
//!
//! Names and tag keys keep `,-./0-9A-Za-z_` (and a leading `~`), anything else becomes `-`;
//! values are trimmed, `"` escaped and newlines written `\n`. Differences from falcosidekick,
//! on purpose: tags come in key order (Go's map order is random); a tag whose value is empty
//! is left out (the SDK refused the whole point, so the alert never arrived); a tag longer than
//! Wavefront's limit (key and value together at most [`MAX_TAG_BYTES`] bytes) is cut, and
//! counted, instead of being refused by Wavefront.

use std::collections::BTreeMap;

use falconer_event::Alert;
use serde_json::Value;

/// The source of every point, as falcosidekick sets it.
pub const SOURCE: &str = "falco-exporter";

/// Most bytes of a point tag's key and value together that Wavefront accepts.
pub const MAX_TAG_BYTES: usize = 254;

/// The SDK's `sanitizeInternal`: metric names and tag keys, byte by byte (a character of
/// several bytes becomes as many `-`).
fn sanitize_name(raw: &str) -> String {
    raw.bytes()
        .enumerate()
        .map(|(i, b)| {
            let legal = matches!(b, b','..=b'9' | b'A'..=b'Z' | b'a'..=b'z' | b'_')
                || (i == 0 && b == b'~');
            if legal {
                char::from(b)
            } else {
                '-'
            }
        })
        .collect()
}

/// The SDK's `sanitizeValue`, quotes included.
fn sanitize_value(raw: &str) -> String {
    let trimmed = raw.trim();
    let mut out = String::with_capacity(trimmed.len() + 2);
    out.push('"');
    for c in trimmed.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The longest prefix of `value` of at most `max` bytes, cut at a character boundary.
fn cut(value: &str, max: usize) -> &str {
    if value.len() <= max {
        return value;
    }
    let mut end = max;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

/// The point tags of `alert`, as falcosidekick builds them (string output fields after the
/// fixed tags, so a field named `rule` replaces it, as in Go).
fn tags(alert: &Alert) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    tags.insert("severity".to_owned(), alert.priority.to_string());
    tags.insert("rule".to_owned(), alert.rule.clone());
    tags.insert("source".to_owned(), alert.source.clone());
    if !alert.hostname.is_empty() {
        tags.insert("hostname".to_owned(), alert.hostname.clone());
    }
    for (key, value) in &alert.output_fields {
        if let Value::String(s) = value {
            tags.insert(key.clone(), s.clone());
        }
    }
    if !alert.tags.is_empty() {
        tags.insert("tags".to_owned(), alert.tags.join(", "));
    }
    tags
}

/// The point line for `alert` (newline included) and whether a tag value was cut.
pub fn point_line(alert: &Alert, metric: &str) -> (String, bool) {
    let nanos = alert.time.timestamp_nanos_opt().unwrap_or_default();
    let mut line = format!(
        "\"{}\" 1 {nanos} source={}",
        sanitize_name(metric),
        sanitize_value(SOURCE)
    );
    let mut truncated = false;
    for (key, value) in tags(alert) {
        if value.trim().is_empty() {
            continue;
        }
        let key = sanitize_name(&key);
        let room = MAX_TAG_BYTES.saturating_sub(key.len());
        let kept = cut(value.trim(), room);
        truncated |= kept.len() < value.trim().len();
        line.push_str(" \"");
        line.push_str(&key);
        line.push_str("\"=");
        line.push_str(&sanitize_value(kept));
    }
    line.push('\n');
    (line, truncated)
}
