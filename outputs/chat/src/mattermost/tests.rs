//! Golden bodies per `outputformat`, field order, limits and config validation.

use std::sync::Arc;

use crate::common::testing::encode_text;
use crate::common::MARKER;
use falconer_core::{Alert, OutputConfig};
use falconer_http::contract::assert_rejected;
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use super::{MattermostConfig, KIND};

fn config(v: Value) -> MattermostConfig {
    serde_json::from_value(v).expect("valid config")
}

fn body(settings: Value, alert: &Alert) -> (String, bool) {
    encode_text(&config(settings).encoder().expect("template parses"), alert)
}

/// `tests/fixtures/mattermost`, compared with [`assert_golden`]; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mattermost");

fn shell() -> Arc<Alert> {
    enriched(SHELL_ALERT, 1)
}

#[test]
fn bodies_are_falcosidekicks() {
    let hook = "https://chat.example.com/hooks/abc";
    let (all, cut) = body(json!({"webhookurl": hook}), &shell());
    assert!(!cut);
    assert_golden(FIXTURES, "all.json", &all);
    let (text, _) = body(
        json!({"webhookurl": hook, "outputformat": "text",
               "messageformat": "Alert {{ .Rule }} ({{ .Priority }}) at {{ .Time }}"}),
        &shell(),
    );
    assert_golden(FIXTURES, "text.json", &text);
    let (fields, _) = body(
        json!({"webhookurl": hook, "outputformat": "fields", "footer": "", "icon": "", "username": ""}),
        &enriched(CONFIGMAP_ALERT, 2),
    );
    assert_golden(FIXTURES, "fields.json", &fields);
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
    assert_rejected(
        KIND,
        "mattermost",
        json!({"webhookurl": "", "outputformat": "table", "messageformat": "{{ .Rule "}),
        &["webhookurl", "outputformat", "messageformat"],
    );
    let mut problems = falconer_core::Problems::default();
    config(json!({"webhookurl": "https://h/x"})).validate(&mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    let c = config(json!({"webhookurl": "https://h/x"}));
    assert_eq!(
        (c.username.as_str(), c.outputformat.as_str()),
        ("Falcosidekick", "all")
    );
    assert!(c.tls.checkcert && !c.tls.mutualtls);
}
