//! falcosidekick's Dynatrace log record, pure.

use std::sync::Arc;

use falconer_core::{Alert, SendError};
use falconer_event::{time_to_string, AlertTime};
use falconer_http::go_json_line;
use serde::Serialize;
use serde_json::{Map, Value};

/// One log record, fields in falcosidekick's order, empty ones left out (`omitempty`).
#[derive(Serialize, Default)]
struct Record<'a> {
    timestamp: String,
    #[serde(rename = "event.id", skip_serializing_if = "str::is_empty")]
    event_id: &'a str,
    #[serde(rename = "event.name", skip_serializing_if = "str::is_empty")]
    event_name: &'a str,
    #[serde(rename = "event.provider")]
    event_provider: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    severity: &'static str,
    #[serde(rename = "host.name", skip_serializing_if = "str::is_empty")]
    host_name: &'a str,
    #[serde(rename = "log.source", skip_serializing_if = "str::is_empty")]
    log_source: &'a str,
    content: Content<'a>,
    #[serde(rename = "mitre.technique", skip_serializing_if = "str::is_empty")]
    mitre_technique: &'a str,
    #[serde(rename = "mitre.tactic", skip_serializing_if = "str::is_empty")]
    mitre_tactic: &'a str,
    #[serde(rename = "container.id", skip_serializing_if = "str::is_empty")]
    container_id: &'a str,
    #[serde(rename = "container.name", skip_serializing_if = "str::is_empty")]
    container_name: &'a str,
    #[serde(rename = "container.image.name", skip_serializing_if = "str::is_empty")]
    container_image_name: &'a str,
    #[serde(rename = "k8s.namespace.name", skip_serializing_if = "str::is_empty")]
    k8s_namespace_name: &'a str,
    #[serde(rename = "k8s.pod.name", skip_serializing_if = "str::is_empty")]
    k8s_pod_name: &'a str,
    #[serde(rename = "k8s.pod.uid", skip_serializing_if = "str::is_empty")]
    k8s_pod_uid: &'a str,
    #[serde(
        rename = "process.executable.name",
        skip_serializing_if = "str::is_empty"
    )]
    process_executable_name: &'a str,
    #[serde(rename = "span.id", skip_serializing_if = "String::is_empty")]
    span_id: String,
}

#[derive(Serialize, Default)]
struct Content<'a> {
    output: &'a str,
    output_fields: Option<&'a Map<String, Value>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
}

/// Go's `time.RFC3339`: whole seconds, `Z` for UTC, else the offset.
fn rfc3339_seconds(time: &AlertTime) -> String {
    let s = time_to_string(time);
    match (s.get(..19), s.get(19..)) {
        (Some(head), Some(rest)) if rest.starts_with('.') => {
            let offset = rest.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
            format!("{head}{offset}")
        }
        _ => s,
    }
}

/// falcosidekick's `T\d+\.?\d*`, unanchored: a `T` followed by a digit anywhere.
fn is_technique(tag: &str) -> bool {
    tag.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'T' && w[1].is_ascii_digit())
}

/// falcosidekick's `mitre_\w+`, unanchored.
fn is_tactic(tag: &str) -> bool {
    tag.match_indices("mitre_").any(|(i, m)| {
        tag.as_bytes()
            .get(i + m.len())
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    })
}

fn field<'a>(alert: &'a Alert, key: &str) -> &'a str {
    alert.field_str(key).unwrap_or_default()
}

/// `span.id` as a decimal string, from an integer (or a string) field.
fn span_id(alert: &Alert) -> String {
    match alert.output_fields.get("span.id") {
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

fn record(alert: &Alert) -> Record<'_> {
    let mut r = Record {
        timestamp: rfc3339_seconds(&alert.time),
        event_id: &alert.uuid,
        event_name: &alert.rule,
        event_provider: "Falco",
        severity: alert.priority.as_str(),
        host_name: &alert.hostname,
        log_source: &alert.source,
        content: Content {
            output: &alert.output,
            output_fields: Some(&alert.output_fields),
            tags: &alert.tags,
        },
        container_id: field(alert, "container.id"),
        container_name: field(alert, "container.name"),
        container_image_name: field(alert, "container.image"),
        k8s_namespace_name: Some(field(alert, "k8s.ns.name"))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| field(alert, "ka.target.namespace")),
        k8s_pod_name: field(alert, "k8s.pod.name"),
        k8s_pod_uid: field(alert, "k8s.pod.id"),
        process_executable_name: field(alert, "proc.name"),
        span_id: span_id(alert),
        ..Record::default()
    };
    // The last matching tag wins, as in falcosidekick's loop.
    for tag in &alert.tags {
        if is_technique(tag) {
            r.mitre_technique = tag;
        } else if is_tactic(tag) {
            r.mitre_tactic = tag;
        }
    }
    r
}

/// The request body: a JSON array with one record per alert (falcosidekick's one-record
/// array for a batch of one), with the trailing newline of Go's JSON encoder.
pub fn body(batch: &[Arc<Alert>]) -> Result<Vec<u8>, SendError> {
    let records: Vec<Record<'_>> = batch.iter().map(|a| record(a)).collect();
    go_json_line(&records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mitre_matching_follows_falcosidekicks_regexes() {
        assert!(is_technique("T1059") && is_technique("T1055.008") && is_technique("mitre_T1"));
        assert!(!is_technique("Terminal") && !is_technique("t1059"));
        assert!(is_tactic("mitre_execution") && is_tactic("x_mitre_a"));
        assert!(!is_tactic("mitre_") && !is_tactic("mitre-execution"));
    }

    #[test]
    fn timestamps_are_whole_seconds() {
        let t = |s: &str| rfc3339_seconds(&falconer_event::parse_time(s).expect("time"));
        assert_eq!(t("2024-05-14T09:21:07.418790000Z"), "2024-05-14T09:21:07Z");
        assert_eq!(t("2024-05-14T09:21:07+02:00"), "2024-05-14T09:21:07+02:00");
        assert_eq!(
            t("2024-05-14T09:21:07.5-05:30"),
            "2024-05-14T09:21:07-05:30"
        );
    }
}
