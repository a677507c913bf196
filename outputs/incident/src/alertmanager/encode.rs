//! falcosidekick's Alertmanager alert, pure.

use std::collections::BTreeMap;
use std::sync::Arc;

use falconer_core::{Alert, SendError};
use falconer_event::{time_to_string, Priority};
use falconer_http::go_json_line;
use serde::Serialize;
use serde_json::Value;

/// What Go writes for a zero `time.Time`: falcosidekick's `endsAt` when `expiresafter` is 0
/// (Alertmanager reads it as "not set").
pub const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Builds the alerts of one instance.
#[derive(Debug, Clone, Default)]
pub struct AlertmanagerEncoder {
    /// `customseveritymap`.
    pub severities: BTreeMap<Priority, String>,
    /// `dropeventthresholds`, highest value first.
    pub thresholds: Vec<(i128, Priority)>,
    /// `dropeventdefaultpriority`.
    pub drop_default: Option<Priority>,
    /// `expiresafter`, seconds.
    pub expires_after: u64,
    /// `extralabels`.
    pub extra_labels: BTreeMap<String, String>,
    /// `extraannotations`.
    pub extra_annotations: BTreeMap<String, String>,
    /// Falconer's `sendstartsat`.
    pub send_starts_at: bool,
}

/// One postable alert, fields in falcosidekick's order; Go sorts map keys, so do the
/// `BTreeMap`s.
#[derive(Serialize)]
struct PostableAlert {
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    #[serde(rename = "startsAt", skip_serializing_if = "Option::is_none")]
    starts_at: Option<String>,
    #[serde(rename = "endsAt")]
    ends_at: String,
}

/// falcosidekick's label name for an output field: characters outside `[a-zA-Z0-9_]` become
/// `_`, `__` becomes `_` (one pass, as Go's `strings.ReplaceAll`), then leading and trailing
/// `_` are trimmed (`k8s.ns.name` → `k8s_ns_name`, `proc.aname[2]` → `proc_aname_2`).
pub fn label_name(field: &str) -> String {
    let replaced: String = field
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    replaced.replace("__", "_").trim_matches('_').to_owned()
}

/// Alertmanager's rule for label names: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The default `severity` of a priority.
fn default_severity(p: Priority) -> &'static str {
    match p {
        Priority::Debug | Priority::Informational | Priority::Notice => "information",
        Priority::Warning | Priority::Error => "warning",
        Priority::Critical | Priority::Alert | Priority::Emergency => "critical",
    }
}

/// A drop counter's integer, from a string (as Falco sends them) or a number.
fn drop_count(value: &Value) -> Option<(i128, String)> {
    let raw = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    raw.parse::<i128>().ok().map(|n| (n, raw))
}

impl AlertmanagerEncoder {
    /// The bucketed label value of a syscall-drop counter, raising `priority` as
    /// falcosidekick does.
    fn drop_label(&self, count: i128, raw: String, priority: &mut Priority) -> String {
        if count == 0 {
            *priority = (*priority).max(Priority::Warning);
            return "0".into();
        }
        if let Some((value, p)) = self.thresholds.iter().find(|(v, _)| count > *v) {
            *priority = (*priority).max(*p);
            return format!(">{value}");
        }
        if let Some(p) = self.drop_default {
            *priority = (*priority).max(p);
        }
        raw
    }

    fn alert(&self, alert: &Alert) -> PostableAlert {
        let mut labels = BTreeMap::new();
        let mut priority = alert.priority;
        for (key, value) in &alert.output_fields {
            if key.starts_with("n_evts") {
                continue;
            }
            if key.starts_with("n_drop") {
                // falcosidekick skips a counter that is not an integer.
                if let Some((count, raw)) = drop_count(value) {
                    let v = self.drop_label(count, raw, &mut priority);
                    labels.insert(key.clone(), v);
                }
                continue;
            }
            let v = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => continue,
            };
            let name = label_name(key);
            // Alertmanager refuses the whole alert for one invalid label name (a field such
            // as `1st.try` or `...`); falcosidekick sends it and loses the alert.
            if is_valid_label_name(&name) {
                labels.insert(name, v);
            } else {
                tracing::debug!(field = %key, "output field left out: no valid label name");
            }
        }
        labels.insert("source".into(), "falco".into());
        labels.insert("rule".into(), alert.rule.clone());
        labels.insert("alertname".into(), alert.rule.clone());
        labels.insert("eventsource".into(), alert.source.clone());
        if !alert.hostname.is_empty() {
            labels.insert("hostname".into(), alert.hostname.clone());
        }
        if !alert.tags.is_empty() {
            let mut tags = alert.tags.clone();
            tags.sort();
            labels.insert("tags".into(), tags.join(","));
        }
        labels.insert("priority".into(), priority.as_str().into());
        let severity = self
            .severities
            .get(&priority)
            .cloned()
            .unwrap_or_else(|| default_severity(priority).into());
        labels.insert("severity".into(), severity);
        for (k, v) in &self.extra_labels {
            labels.insert(k.clone(), v.clone());
        }

        let mut annotations = BTreeMap::new();
        annotations.insert("info".to_owned(), alert.output.clone());
        annotations.insert("description".to_owned(), alert.output.clone());
        annotations.insert("summary".to_owned(), alert.rule.clone());
        for (k, v) in &self.extra_annotations {
            annotations.insert(k.clone(), v.clone());
        }

        let ends_at = match i64::try_from(self.expires_after) {
            Ok(secs) if secs != 0 => alert
                .time
                .checked_add_signed(chrono::TimeDelta::seconds(secs))
                .map_or_else(|| GO_ZERO_TIME.to_owned(), |t| time_to_string(&t)),
            _ => GO_ZERO_TIME.to_owned(),
        };
        PostableAlert {
            labels,
            annotations,
            starts_at: self.send_starts_at.then(|| time_to_string(&alert.time)),
            ends_at,
        }
    }

    /// The request body: a JSON array with one alert per Falco alert (a batch of one is
    /// falcosidekick's body byte for byte), with the trailing newline of Go's JSON encoder.
    pub fn body(&self, batch: &[Arc<Alert>]) -> Result<Vec<u8>, SendError> {
        let alerts: Vec<PostableAlert> = batch.iter().map(|a| self.alert(a)).collect();
        go_json_line(&alerts)
    }
}
