//! falcosidekick's SNS message attributes (pure).

use std::collections::BTreeMap;

use falconer_event::Alert;
use serde_json::Value;

/// An attribute's data type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DataType {
    /// `String`.
    String,
    /// `Number`.
    Number,
}

impl DataType {
    /// SNS's name for it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DataType::String => "String",
            DataType::Number => "Number",
        }
    }
}

/// The attributes of a non-raw message: `priority`, `rule`, `source`, `tags` (comma-joined,
/// when there are tags), `hostname` (when known), then each output field holding a string
/// (String) or a number (Number), its name with `[x]` written `.x`. Values that are empty
/// are left out (SNS refuses them; falcosidekick's publish then fails).
pub(crate) fn attributes(alert: &Alert) -> BTreeMap<String, (DataType, String)> {
    let mut out = BTreeMap::new();
    for (name, value) in &alert.output_fields {
        let name = name.replace(']', "").replace('[', ".");
        match value {
            Value::String(s) => {
                out.insert(name, (DataType::String, s.clone()));
            }
            Value::Number(n) => {
                out.insert(name, (DataType::Number, n.to_string()));
            }
            _ => {}
        }
    }
    // falcosidekick fills these first, then the fields overwrite same-named ones.
    let fixed = [
        ("priority", alert.priority.to_string()),
        ("rule", alert.rule.clone()),
        ("source", alert.source.clone()),
        ("tags", alert.tags.join(",")),
        ("hostname", alert.hostname.clone()),
    ];
    for (name, value) in fixed {
        out.entry(name.to_owned())
            .or_insert((DataType::String, value));
    }
    out.retain(|_, (_, v)| !v.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_strings_and_numbers_become_attributes_like_falcosidekick_builds_them() {
        let body = r#"{"output":"a shell","priority":"Warning","rule":"Terminal shell in container","time":"2024-05-14T16:31:56.746609046Z","source":"syscall","hostname":"node-1","tags":["container","shell"],"output_fields":{"proc.aname[2]":"bash","evt.time":1715704316746609046,"ratio":1.50,"user.uid":null,"fd.is_open":true,"container.id":""}}"#;
        let alert = Alert::decode(body.as_bytes()).expect("alert");
        let got = attributes(&alert);
        let s = |v: &str| (DataType::String, v.to_owned());
        let n = |v: &str| (DataType::Number, v.to_owned());
        let want: BTreeMap<String, (DataType, String)> = [
            ("evt.time", n("1715704316746609046")),
            ("hostname", s("node-1")),
            ("priority", s("Warning")),
            ("proc.aname.2", s("bash")),
            ("ratio", n("1.50")),
            ("rule", s("Terminal shell in container")),
            ("source", s("syscall")),
            ("tags", s("container,shell")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        assert_eq!(got, want);
    }

    /// The golden payload: the message and attributes of a non-raw `Publish`, as SNS's JSON
    /// API spells them. `UPDATE_GOLDEN=1` rewrites the file.
    #[test]
    fn a_publish_is_the_output_with_its_attributes() {
        let alert = Alert::decode(falconer_testkit::CONFIGMAP_ALERT.as_bytes()).expect("alert");
        let attributes: serde_json::Map<String, Value> = attributes(&alert)
            .into_iter()
            .map(|(name, (data_type, value))| {
                let value =
                    serde_json::json!({"DataType": data_type.as_str(), "StringValue": value});
                (name, value)
            })
            .collect();
        let publish = serde_json::json!({"Message": alert.output, "MessageAttributes": attributes});
        let mut body = serde_json::to_string_pretty(&publish).expect("json");
        body.push('\n');
        falconer_http::fixtures::assert_golden(
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sns"),
            "publish.json",
            body,
        );
    }
}
