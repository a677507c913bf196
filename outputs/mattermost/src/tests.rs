//! Golden bodies per `outputformat`, field order, limits and config validation.

use std::sync::Arc;

use falconer_config::{CommonSettings, OutputEntry};
use falconer_core::{Alert, OutputConfig};
use falconer_output_chat_common::{Encode, MARKER};
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use crate::{MattermostConfig, KIND};

fn config(v: Value) -> MattermostConfig {
    serde_json::from_value(v).expect("valid config")
}

fn body(settings: Value, alert: &Alert) -> (String, bool) {
    let encoded = config(settings)
        .encoder()
        .expect("template parses")
        .encode(alert)
        .expect("encodes");
    (
        String::from_utf8(encoded.body).expect("UTF-8"),
        encoded.truncated,
    )
}

/// Compares with `tests/fixtures/<name>`; `UPDATE_GOLDEN=1` rewrites it.
fn golden(name: &str, got: &str) {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).expect("write golden");
    }
    let want = std::fs::read_to_string(&path).expect("golden file");
    assert_eq!(got, want, "{name}");
}

fn shell() -> Arc<Alert> {
    enriched(SHELL_ALERT, 1)
}

#[test]
fn bodies_are_falcosidekicks() {
    let hook = "https://chat.example.com/hooks/abc";
    let (all, cut) = body(json!({"webhookurl": hook}), &shell());
    assert!(!cut);
    golden("all.json", &all);
    let (text, _) = body(
        json!({"webhookurl": hook, "outputformat": "text",
               "messageformat": "Alert {{ .Rule }} ({{ .Priority }}) at {{ .Time }}"}),
        &shell(),
    );
    golden("text.json", &text);
    let (fields, _) = body(
        json!({"webhookurl": hook, "outputformat": "fields", "footer": "", "icon": "", "username": ""}),
        &enriched(CONFIGMAP_ALERT, 2),
    );
    golden("fields.json", &fields);
}

#[test]
fn fields_keep_falcosidekicks_order() {
    let (all, _) = body(json!({"webhookurl": "https://h/x"}), &shell());
    let v: Value = serde_json::from_str(&all).expect("JSON");
    assert_eq!(v["attachments"][0]["color"], "#5bffb5", "Notice");
    let titles: Vec<&str> = v["attachments"][0]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["title"].as_str().expect("title"))
        .collect();
    assert_eq!(
        titles,
        [
            "rule",
            "hostname",
            "priority",
            "source",
            "tags",
            "container.id",
            "k8s.ns.name",
            "k8s.pod.name",
            "proc.cmdline",
            "user.name",
            "time"
        ]
    );
    assert!(v.get("channel").is_none());
    assert!(all.ends_with("}\n"));
}

#[test]
fn long_texts_are_cut_to_the_limits_with_a_marker() {
    let mut v: Value = serde_json::from_str(SHELL_ALERT).expect("JSON");
    v["output"] = "o".repeat(20_000).into();
    let alert = Arc::new(Alert::decode(v.to_string().as_bytes()).expect("alert"));
    let (all, cut) = body(
        json!({"webhookurl": "https://h/x", "messageformat": "{{ .Output }}"}),
        &alert,
    );
    assert!(cut);
    let v: Value = serde_json::from_str(&all).expect("JSON");
    let text = v["text"].as_str().expect("text");
    assert_eq!(text.chars().count(), 16_383);
    assert!(text.ends_with(MARKER));
    let att = v["attachments"][0]["text"]
        .as_str()
        .expect("attachment text");
    assert_eq!(att.chars().count(), 16_383);
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let entry = OutputEntry {
        name: "chat".into(),
        kind: "mattermost".into(),
        path: "mattermost".into(),
        common: CommonSettings::default(),
        settings: json!({"webhookurl": "", "outputformat": "table", "messageformat": "{{ .Rule "}),
    };
    let Err(errors) = KIND.prepare(&entry) else {
        panic!("invalid config accepted")
    };
    let text = errors.to_string();
    for path in [
        "mattermost.webhookurl",
        "mattermost.outputformat",
        "mattermost.messageformat",
    ] {
        assert!(text.contains(path), "{path} missing from: {text}");
    }
    let mut problems = Vec::new();
    config(json!({"webhookurl": "https://h/x"})).validate(&mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    let c = config(json!({"webhookurl": "https://h/x"}));
    assert_eq!(
        (c.username.as_str(), c.outputformat.as_str()),
        ("Falcosidekick", "all")
    );
    assert!(c.checkcert && !c.mutualtls);
}
