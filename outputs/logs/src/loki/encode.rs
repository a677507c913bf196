//! Pure encoding of push requests: labels as falcosidekick builds them, then streams grouped by
//! label set. For a batch of one alert with every label allowed, the body is falcosidekick's,
//! byte for byte.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use falconer_event::{to_go_json, Alert};

/// Labels of one stream, sorted by name (Go marshals maps sorted, so the JSON matches).
pub type Labels = BTreeMap<String, String>;

/// Builds push bodies for one Loki instance.
#[derive(Clone, Debug, Default)]
pub struct LokiEncoder {
    /// Output fields that become labels when their value is a string: the global customfields
    /// and templatedfields keys, then `extralabels` (falcosidekick's order).
    pub label_fields: Vec<String>,
    /// When set, only these labels are kept on streams.
    pub allow: Option<BTreeSet<String>>,
    /// Line = the payload JSON (`format: json`) instead of `output`.
    pub json_lines: bool,
    /// Labels left out by `allow`, and the alert's `uuid`, travel as structured metadata.
    pub structured_metadata: bool,
}

/// falcosidekick's label name for an output field (`.` → `_`, brackets removed), made a valid
/// Loki label name: any other character outside `[a-zA-Z0-9_]` becomes `_`, and a name that
/// starts with a digit gets a leading `_` (falcosidekick sends such names as they are, and Loki
/// refuses the whole push).
pub fn label_name(field: &str) -> String {
    let mut name: String = field
        .chars()
        .filter(|c| *c != '[' && *c != ']')
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

/// One alert, ready to be grouped.
struct Entry<'a> {
    nanos: i128,
    line: Line<'a>,
    metadata: Labels,
}

enum Line<'a> {
    Text(&'a str),
    Json(&'a [u8]),
}

/// Nanoseconds since the Unix epoch (Go's `UnixNano`), without chrono's 1677–2262 limit.
fn unix_nanos(alert: &Alert) -> i128 {
    i128::from(alert.time.timestamp()) * 1_000_000_000
        + i128::from(alert.time.timestamp_subsec_nanos())
}

impl LokiEncoder {
    /// Every label falcosidekick puts on the alert's stream, before the allow-list.
    pub fn labels(&self, alert: &Alert) -> Labels {
        let mut s = Labels::new();
        s.insert("rule".into(), alert.rule.clone());
        s.insert("source".into(), alert.source.clone());
        s.insert("priority".into(), alert.priority.as_str().into());
        if let Some(ns) = alert.field_str("k8s.ns.name") {
            s.insert("k8s_ns_name".into(), ns.into());
        }
        if let Some(pod) = alert.field_str("k8s.pod.name") {
            s.insert("k8s_pod_name".into(), pod.into());
        }
        for field in &self.label_fields {
            if let Some(v) = alert.field_str(field) {
                s.insert(label_name(field), v.replace('"', ""));
            }
        }
        if !alert.hostname.is_empty() {
            s.insert("hostname".into(), alert.hostname.clone());
        }
        if !alert.tags.is_empty() {
            let mut tags = alert.tags.clone();
            tags.sort();
            s.insert("tags".into(), tags.join(","));
        }
        s
    }

    /// Splits the labels into the stream's (allowed) and the entry's structured metadata.
    fn split(&self, alert: &Alert) -> (Labels, Labels) {
        let mut labels = self.labels(alert);
        let mut metadata = Labels::new();
        if let Some(allow) = &self.allow {
            let (kept, left): (Labels, Labels) =
                labels.into_iter().partition(|(k, _)| allow.contains(k));
            labels = kept;
            if self.structured_metadata {
                metadata = left;
            }
        }
        if self.structured_metadata && !alert.uuid.is_empty() {
            metadata.insert("uuid".into(), alert.uuid.clone());
        }
        (labels, metadata)
    }

    /// The push body for `batch`: one stream per label set, in order of first appearance;
    /// within a stream, entries ordered by time (stable), which Loki needs when it refuses
    /// out-of-order writes.
    pub fn encode(&self, batch: &[Arc<Alert>]) -> Vec<u8> {
        let mut streams: Vec<(Labels, Vec<Entry<'_>>)> = Vec::new();
        let mut index: BTreeMap<Labels, usize> = BTreeMap::new();
        for alert in batch {
            let (labels, metadata) = self.split(alert);
            let line = if self.json_lines {
                Line::Json(alert.to_json())
            } else {
                Line::Text(&alert.output)
            };
            let entry = Entry {
                nanos: unix_nanos(alert),
                line,
                metadata,
            };
            match index.get(&labels) {
                Some(&i) => streams[i].1.push(entry),
                None => {
                    index.insert(labels.clone(), streams.len());
                    streams.push((labels, vec![entry]));
                }
            }
        }
        let mut out = Vec::with_capacity(256 + batch.len() * 512);
        out.extend_from_slice(b"{\"streams\":[");
        for (n, (labels, entries)) in streams.iter_mut().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            entries.sort_by_key(|e| e.nanos);
            out.extend_from_slice(b"{\"stream\":");
            write_json(&mut out, labels);
            out.extend_from_slice(b",\"values\":[");
            for (m, e) in entries.iter().enumerate() {
                if m > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(format!("[\"{}\",", e.nanos).as_bytes());
                match e.line {
                    Line::Text(text) => write_json(&mut out, text),
                    // The payload JSON is valid UTF-8: it was serialized from Rust strings.
                    Line::Json(json) => write_json(&mut out, &String::from_utf8_lossy(json)),
                }
                if !e.metadata.is_empty() {
                    out.push(b',');
                    write_json(&mut out, &e.metadata);
                }
                out.push(b']');
            }
            out.extend_from_slice(b"]}");
        }
        out.extend_from_slice(b"]}");
        out
    }
}

/// Appends `value` as Go's `json.Marshal` writes it (strings and string maps cannot fail).
fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    match to_go_json(value) {
        Ok(bytes) => out.extend_from_slice(&bytes),
        Err(_) => out.extend_from_slice(b"null"),
    }
}
