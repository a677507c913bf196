//! Values printed the way falcosidekick's Go code prints them with `fmt`'s `%v`.

use std::fmt::Write as _;

use serde_json::Value;

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
    use super::go_value;
    use serde_json::{json, Value};

    #[test]
    fn values_print_as_gos_percent_v() {
        assert_eq!(go_value(&json!("bash"), "<nil>"), "bash");
        assert_eq!(
            go_value(&json!(12345678901234567890u64), "<nil>"),
            "12345678901234567890"
        );
        assert_eq!(go_value(&Value::Null, "<no value>"), "<no value>");
        assert_eq!(go_value(&json!([1, "a", null]), ""), "[1 a <nil>]");
        assert_eq!(go_value(&json!({"b": 2, "a": true}), ""), "map[a:true b:2]");
        assert_eq!(
            go_value(&json!({"m": {"y": null, "x": [1]}}), "<nil>"),
            "map[m:map[x:[1] y:<nil>]]"
        );
    }
}
