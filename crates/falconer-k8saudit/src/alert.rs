//! The alert of a rule that matched, as Falco emits it for the `k8s_audit` source.

use std::fmt::Write as _;

use chrono::{Datelike, Timelike};
use falconer_event::{Alert, AlertTime};
use serde_json::{Map, Value as Json};

use crate::event::AuditEvent;
use crate::rules::Rule;
use crate::SOURCE;

/// How alerts are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSettings {
    /// The alert's `hostname` (Falco: `FALCO_HOSTNAME`, else the host's name).
    pub hostname: String,
    /// The time at the start of `output`: `false` for Falco's default `HH:MM:SS.nnnnnnnnn`,
    /// `true` for ISO 8601 (Falco's `time_format_iso_8601`). Always UTC.
    pub time_format_iso8601: bool,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            hostname: default_hostname(),
            time_format_iso8601: false,
        }
    }
}

/// `FALCO_HOSTNAME` when set and not empty, else the host's name, else `""`.
pub fn default_hostname() -> String {
    std::env::var("FALCO_HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| hostname::get().ok().and_then(|h| h.into_string().ok()))
        .unwrap_or_default()
}

/// The alert `rule` raises for `event`.
pub fn build_alert(rule: &Rule, event: &AuditEvent, settings: &AlertSettings) -> Alert {
    let time = event.time();
    let time_text = if settings.time_format_iso8601 {
        iso8601_falco(time)
    } else {
        clock_time(time)
    };
    let mut fields = Map::new();
    let body = rule.output.render(event, &time_text, &mut fields);
    fields.insert("evt.time".to_owned(), Json::from(event.time_nanos()));
    let output = format!("{time_text}: {} {body}", rule.priority.as_str());
    Alert::new(
        output,
        rule.priority,
        rule.name.clone(),
        time,
        fields,
        SOURCE,
        rule.tags.clone(),
        settings.hostname.clone(),
    )
}

/// `HH:MM:SS.nnnnnnnnn` (UTC), Falco's default `evt.time`.
pub fn clock_time(time: AlertTime) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:09}",
        time.hour(),
        time.minute(),
        time.second(),
        time.nanosecond() % 1_000_000_000
    )
}

/// `2024-05-14T09:21:07.418790000+0000`, Falco's ISO 8601 `evt.time`.
pub fn iso8601_falco(time: AlertTime) -> String {
    let mut s = date_time(time);
    s.push_str("+0000");
    s
}

/// `2024-05-14T09:21:07.418790000Z`: UTC, nine fraction digits, as Falco writes `time`.
pub fn iso8601_utc(time: AlertTime) -> String {
    let mut s = date_time(time);
    s.push('Z');
    s
}

fn date_time(time: AlertTime) -> String {
    let time = time.with_timezone(&chrono::Utc);
    let mut s = String::with_capacity(36);
    let _ = write!(
        s,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}",
        time.year(),
        time.month(),
        time.day(),
        time.hour(),
        time.minute(),
        time.second(),
        time.nanosecond() % 1_000_000_000
    );
    s
}

/// The alert as Falco's `json_output` writes it: `hostname`, `output`, `output_fields`,
/// `priority`, `rule`, `source`, `tags`, `time` (nine fraction digits, UTC). Falconer's own
/// payload ([`Alert::to_json`]) adds `uuid` and writes the time as falcosidekick does.
pub fn falco_json(alert: &Alert) -> Json {
    let mut m = Map::new();
    m.insert("hostname".into(), alert.hostname.clone().into());
    m.insert("output".into(), alert.output.clone().into());
    m.insert(
        "output_fields".into(),
        Json::Object(alert.output_fields.clone()),
    );
    m.insert("priority".into(), alert.priority.as_str().into());
    m.insert("rule".into(), alert.rule.clone().into());
    m.insert("source".into(), alert.source.clone().into());
    m.insert("tags".into(), alert.tags.clone().into());
    m.insert("time".into(), iso8601_utc(alert.time).into());
    Json::Object(m)
}
