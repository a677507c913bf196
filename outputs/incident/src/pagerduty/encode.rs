//! The Events API v2 event, pure (apart from counting truncations).

use std::collections::BTreeMap;

use falconer_config::Secret;
use falconer_core::{Alert, SendError, Truncations};
use falconer_event::{alert_to_template_value, to_go_json, GoTemplate, Priority};
use serde::Serialize;
use serde_json::Value;

/// Longest `summary` PagerDuty keeps (characters).
pub const MAX_SUMMARY: usize = 1024;
/// Longest `dedup_key` PagerDuty accepts (characters).
pub const MAX_DEDUP_KEY: usize = 255;
/// Appended to a shortened summary.
const MARKER: &str = "…";

/// go-pagerduty's `V2Event`, fields in its order, empty ones left out.
#[derive(Serialize)]
struct Event<'a> {
    routing_key: &'a str,
    event_action: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    dedup_key: String,
    payload: Payload<'a>,
}

/// go-pagerduty's `V2Payload`.
#[derive(Serialize)]
struct Payload<'a> {
    summary: String,
    source: &'static str,
    severity: &'static str,
    timestamp: String,
    custom_details: BTreeMap<&'a str, Value>,
}

/// PagerDuty's severity of a priority: Emergency, Alert and Critical → `critical`, Error →
/// `error`, Warning → `warning`, anything lower → `info`.
pub fn pagerduty_severity(p: Priority) -> &'static str {
    match p {
        Priority::Emergency | Priority::Alert | Priority::Critical => "critical",
        Priority::Error => "error",
        Priority::Warning => "warning",
        _ => "info",
    }
}

/// Go's `time.RFC3339` (whole seconds, `Z` for UTC).
fn rfc3339_seconds(alert: &Alert) -> String {
    alert
        .time
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// At most `max` characters of `s`, the last one replaced by `…` when cut.
fn shorten(s: &str, max: usize) -> Option<String> {
    if s.chars().count() <= max {
        return None;
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push_str(MARKER);
    Some(out)
}

/// Builds the events of one instance.
#[derive(Debug)]
pub struct PagerDutyEncoder {
    routing_key: Secret,
    dedup_key: Option<GoTemplate>,
    /// Summaries and dedup keys shortened to PagerDuty's limits.
    pub truncations: Truncations,
}

impl PagerDutyEncoder {
    /// An encoder sending `routing_key`, with an optional `dedup_key` template.
    pub fn new(routing_key: Secret, dedup_key: Option<GoTemplate>) -> Self {
        PagerDutyEncoder {
            routing_key,
            dedup_key,
            truncations: Truncations::default(),
        }
    }

    /// The rendered dedup key; a render failure sends the event without one (logged), since
    /// losing the page would be worse than an undeduplicated one.
    fn dedup_key(&self, alert: &Alert) -> String {
        let Some(template) = &self.dedup_key else {
            return String::new();
        };
        match template.render(&alert_to_template_value(alert)) {
            Ok(key) => match shorten(key.trim(), MAX_DEDUP_KEY) {
                Some(short) => {
                    self.truncations.record();
                    short
                }
                None => key.trim().to_owned(),
            },
            Err(e) => {
                tracing::warn!(error = %e, rule = %alert.rule, "dedupkey did not render; sent without dedup_key");
                String::new()
            }
        }
    }

    /// The request body of one alert (go-pagerduty's `json.Marshal`: no trailing newline).
    pub fn body(&self, alert: &Alert) -> Result<Vec<u8>, SendError> {
        let mut details: BTreeMap<&str, Value> = alert
            .output_fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        if !alert.hostname.is_empty() {
            details.insert("hostname", Value::String(alert.hostname.clone()));
        }
        details.insert("rule", Value::String(alert.rule.clone()));
        details.insert("priority", Value::String(alert.priority.as_str().into()));
        details.insert("source", Value::String(alert.source.clone()));
        if !alert.tags.is_empty() {
            details.insert("tags", Value::String(alert.tags.join(", ")));
        }
        let summary = match shorten(&alert.output, MAX_SUMMARY) {
            Some(short) => {
                self.truncations.record();
                short
            }
            None => alert.output.clone(),
        };
        let event = Event {
            routing_key: self.routing_key.expose(),
            event_action: "trigger",
            dedup_key: self.dedup_key(alert),
            payload: Payload {
                summary,
                source: "falco",
                severity: pagerduty_severity(alert.priority),
                timestamp: rfc3339_seconds(alert),
                custom_details: details,
            },
        };
        to_go_json(&event).map_err(|e| SendError::Encode(Box::new(e)))
    }
}
