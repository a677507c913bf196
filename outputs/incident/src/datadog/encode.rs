//! falcosidekick's Datadog event, pure.

use falconer_core::{Alert, SendError};
use falconer_event::Priority;
use falconer_http::go_json_line;
use serde::Serialize;
use serde_json::Value;

/// The event, fields in falcosidekick's order, empty ones left out (`omitempty`).
#[derive(Serialize)]
struct Event<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    title: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    text: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    alert_type: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    source_type_name: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
}

fn alert_type(p: Priority) -> &'static str {
    match p {
        Priority::Emergency | Priority::Alert | Priority::Critical | Priority::Error => "error",
        Priority::Warning => "warning",
        _ => "info",
    }
}

/// The request body of one alert, with the trailing newline of Go's JSON encoder.
pub fn body(alert: &Alert) -> Result<Vec<u8>, SendError> {
    let mut fields: Vec<(&String, &str)> = alert
        .output_fields
        .iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k, s.as_str())),
            _ => None,
        })
        .collect();
    fields.sort();
    let mut tags: Vec<String> = fields.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    tags.push(format!("source:{}", alert.source));
    tags.push("source:falco".into());
    if !alert.hostname.is_empty() {
        tags.push(format!("hostname:{}", alert.hostname));
    }
    let mut rule_tags = alert.tags.clone();
    rule_tags.sort();
    tags.extend(rule_tags);
    go_json_line(&Event {
        title: &alert.rule,
        text: &alert.output,
        alert_type: alert_type(alert.priority),
        source_type_name: "falco",
        tags,
    })
}
