//! Values printed the way falcosidekick's Go code prints them: `time.Time.String()` for alert
//! times and `fmt`'s `%v` for output field values.

use std::fmt::Write as _;

use chrono::{Datelike, Timelike};
use falconer_event::AlertTime;
use serde_json::Value;

/// Go's `time.Time.String()` of an alert time as falcosidekick decodes it:
/// `2019-05-17 15:31:56.746609046 +0000 UTC` (fraction without trailing zeros, none for whole
/// seconds). A UTC time (`Z`) is in zone `UTC`; another offset is a nameless fixed zone, which
/// Go writes as the offset again (`+0200 +0200`).
pub fn go_time_string(time: &AlertTime) -> String {
    let mut out = String::with_capacity(40);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        time.year(),
        time.month(),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    );
    let nanos = time.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        let digits = format!("{nanos:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    let offset = time.offset().local_minus_utc();
    let sign = if offset < 0 { '-' } else { '+' };
    let abs = offset.unsigned_abs();
    let zone = format!("{sign}{:02}{:02}", abs / 3600, (abs % 3600) / 60);
    if offset == 0 {
        let _ = write!(out, " {zone} UTC");
    } else {
        let _ = write!(out, " {zone} {zone}");
    }
    out
}

/// An output field value as Go's `fmt` `%v` prints a decoded JSON value: strings as they are,
/// numbers with their digits, `[a b]` for lists, `map[k:v]` (sorted keys) for objects, and
/// `nil` as `nil_text` (`<nil>` from `fmt`, `<no value>` from `text/template`).
pub fn go_value(value: &Value, nil_text: &str) -> String {
    let mut out = String::new();
    write_go_value(&mut out, value, nil_text);
    out
}

fn write_go_value(out: &mut String, value: &Value, nil_text: &str) {
    match value {
        Value::Null => out.push_str(nil_text),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                // Inside a composite, fmt prints a nil interface as <nil>.
                write_go_value(out, item, "<nil>");
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push_str("map[");
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(key);
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_go_value(out, v, "<nil>");
                }
            }
            out.push(']');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use falconer_event::parse_time;
    use serde_json::json;

    fn t(s: &str) -> String {
        go_time_string(&parse_time(s).expect("valid time"))
    }

    #[test]
    fn times_print_like_go_time_string() {
        assert_eq!(
            t("2019-05-17T15:31:56.746609046Z"),
            "2019-05-17 15:31:56.746609046 +0000 UTC"
        );
        assert_eq!(
            t("2024-05-14T09:21:07.418790000Z"),
            "2024-05-14 09:21:07.41879 +0000 UTC"
        );
        assert_eq!(t("2001-01-01T01:10:00Z"), "2001-01-01 01:10:00 +0000 UTC");
        assert_eq!(
            t("2024-05-14T09:21:07.5+02:00"),
            "2024-05-14 09:21:07.5 +0200 +0200"
        );
        assert_eq!(
            t("2024-05-14T09:21:07-05:30"),
            "2024-05-14 09:21:07 -0530 -0530"
        );
    }

    #[test]
    fn values_print_like_go_fmt() {
        assert_eq!(go_value(&json!("bash"), "<nil>"), "bash");
        assert_eq!(
            go_value(&json!(12345678901234567890u64), "<nil>"),
            "12345678901234567890"
        );
        assert_eq!(go_value(&Value::Null, "<no value>"), "<no value>");
        assert_eq!(go_value(&json!([1, "a", null]), ""), "[1 a <nil>]");
        assert_eq!(go_value(&json!({"b": 2, "a": true}), ""), "map[a:true b:2]");
    }
}
