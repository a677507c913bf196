//! Log records and the export request.

use chrono::{Offset, Timelike};
use falconer_event::{Alert, AlertTime};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};

use crate::common::{resource, string};

/// The logger's name, as falcosidekick sets it.
pub const SCOPE: &str = "falco";

/// Go's `time.Time.String()`: `2024-05-14 09:21:07.41879 +0000 UTC` (the fraction without
/// trailing zeros; a zone without a name is written as its offset).
pub fn go_time_string(time: &AlertTime) -> String {
    let mut s = time.format("%Y-%m-%d %H:%M:%S").to_string();
    let nanos = time.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        s.push('.');
        s.push_str(fraction.trim_end_matches('0'));
    }
    let offset = time.offset().fix().local_minus_utc();
    let sign = if offset < 0 { '-' } else { '+' };
    let abs = offset.unsigned_abs();
    let numeric = format!("{sign}{:02}{:02}", abs / 3600, (abs % 3600) / 60);
    let name = if offset == 0 {
        "UTC".to_owned()
    } else {
        numeric.clone()
    };
    s.push_str(&format!(" {numeric} {name}"));
    s
}

fn nanos(time: &AlertTime) -> u64 {
    u64::try_from(time.timestamp_nanos_opt().unwrap_or_default()).unwrap_or_default()
}

/// The record of `alert`, observed at `observed` (Unix nanoseconds). Its time is the
/// alert's (falcosidekick stamped the send time; the alert's own time is also in the
/// `timestamp` attribute).
pub fn log_record(alert: &Alert, observed: u64) -> LogRecord {
    LogRecord {
        time_unix_nano: nanos(&alert.time),
        observed_time_unix_nano: observed,
        severity_number: SeverityNumber::Info as i32,
        severity_text: "INFO".into(),
        body: Some(AnyValue {
            value: Some(any_value::Value::StringValue(alert.output.clone())),
        }),
        attributes: vec![
            string("priority", &alert.priority.to_string()),
            string("source", &alert.source),
            string("rule", &alert.rule),
            string("hostname", &alert.hostname),
            string("tags", &alert.tags.join(",")),
            string("timestamp", &go_time_string(&alert.time)),
        ],
        ..LogRecord::default()
    }
}

/// The export request of `records`.
pub fn export_request(records: Vec<LogRecord>) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(resource()),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: SCOPE.into(),
                    ..InstrumentationScope::default()
                }),
                log_records: records,
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    }
}
