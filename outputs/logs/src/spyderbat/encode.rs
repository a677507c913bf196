//! Alert → Spyderbat `falco_alert::1.0.0` record, pure (the clock is a parameter).

use std::time::{SystemTime, UNIX_EPOCH};

use falconer_core::Alert;
use falconer_event::Priority;
use serde::{Serialize, Serializer};

/// The record schema.
pub const SCHEMA: &str = "falco_alert::1.0.0";

/// An alert that cannot be a Spyderbat record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// A required output field is missing.
    #[error("{field} is nil for rule {rule}")]
    Missing {
        /// `evt.time` or `proc.pid`.
        field: &'static str,
        /// The alert's rule.
        rule: String,
    },
    /// A required output field is not an integer.
    #[error("{field} is not an integer for rule {rule}")]
    NotInteger {
        /// `evt.time` or `proc.pid`.
        field: &'static str,
        /// The alert's rule.
        rule: String,
    },
    /// The record could not be written as JSON.
    #[error("cannot write the record: {0}")]
    Json(String),
}

/// A float as Go's `encoding/json` writes it: no `.0` on whole values.
fn go_float<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}

#[derive(Serialize)]
struct Record<'a> {
    schema: &'static str,
    id: &'a str,
    monotonic_time: u32,
    #[serde(serialize_with = "go_float")]
    orc_time: f64,
    time: i64,
    pid: i32,
    level: &'static str,
    msg: Option<Vec<&'a str>>,
    args: &'a str,
    container: &'a str,
}

/// falcosidekick's `level` of each priority.
pub fn level(priority: Priority) -> &'static str {
    match priority {
        Priority::Emergency | Priority::Critical => "critical",
        Priority::Alert | Priority::Error => "high",
        Priority::Warning => "medium",
        Priority::Notice => "low",
        Priority::Informational | Priority::Debug => "info",
    }
}

fn integer(alert: &Alert, field: &'static str) -> Result<i64, RecordError> {
    let rule = || alert.rule.clone();
    match alert.output_fields.get(field) {
        None | Some(serde_json::Value::Null) => Err(RecordError::Missing {
            field,
            rule: rule(),
        }),
        Some(v) => v.as_i64().ok_or(RecordError::NotInteger {
            field,
            rule: rule(),
        }),
    }
}

/// The record line of `alert` (JSON and a newline) at `now`: `time` is `evt.time` in whole
/// seconds, `orc_time` the send time, `monotonic_time` its nanoseconds within the second
/// (falcosidekick's values), `msg` the output's words after the first two.
pub fn record(alert: &Alert, now: SystemTime) -> Result<Vec<u8>, RecordError> {
    let evt_time = integer(alert, "evt.time")?;
    let pid = integer(alert, "proc.pid")?;
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let words: Vec<&str> = alert.output.split(' ').collect();
    let text = |key: &str| alert.field_str(key).unwrap_or_default();
    let record = Record {
        schema: SCHEMA,
        id: &alert.uuid,
        monotonic_time: since.subsec_nanos(),
        orc_time: since.as_secs_f64(),
        time: evt_time / 1_000_000_000,
        pid: pid as i32,
        level: level(alert.priority),
        msg: (words.len() > 2).then(|| words[2..].to_vec()),
        args: text("proc.cmdline"),
        container: text("container.id"),
    };
    let mut line =
        falconer_event::to_go_json(&record).map_err(|e| RecordError::Json(e.to_string()))?;
    line.push(b'\n');
    Ok(line)
}
