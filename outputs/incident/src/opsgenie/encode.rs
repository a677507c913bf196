//! falcosidekick's Opsgenie alert, pure.

use std::collections::BTreeMap;

use falconer_core::{Alert, SendError};
use falconer_event::Priority;
use falconer_http::go_json_line;
use serde::Serialize;
use serde_json::Value;

/// The Alert API body, fields in falcosidekick's order (Go sorts the `details` keys, so does
/// the `BTreeMap`).
#[derive(Serialize)]
struct Payload<'a> {
    message: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    entity: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    details: BTreeMap<String, &'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    priority: &'static str,
}

/// Opsgenie's priority: Emergency and Alert → P1, Critical → P2, Error → P3, Warning → P4,
/// anything lower → P5.
pub fn opsgenie_priority(p: Priority) -> &'static str {
    match p {
        Priority::Emergency | Priority::Alert => "P1",
        Priority::Critical => "P2",
        Priority::Error => "P3",
        Priority::Warning => "P4",
        _ => "P5",
    }
}

/// The request body of one alert, with the trailing newline of Go's JSON encoder.
pub fn body(alert: &Alert) -> Result<Vec<u8>, SendError> {
    let mut details: BTreeMap<String, &str> = alert
        .output_fields
        .iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k.replace('.', "_"), s.as_str())),
            _ => None,
        })
        .collect();
    details.insert("source".into(), &alert.source);
    details.insert("rule".into(), &alert.rule);
    details.insert("priority".into(), alert.priority.as_str());
    if !alert.hostname.is_empty() {
        details.insert("hostname".into(), &alert.hostname);
    }
    let tags = alert.tags.join(", ");
    if !tags.is_empty() {
        details.insert("tags".into(), &tags);
    }
    go_json_line(&Payload {
        message: &alert.output,
        entity: "Falcosidekick",
        description: &alert.rule,
        details,
        priority: opsgenie_priority(alert.priority),
    })
}
