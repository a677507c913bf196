//! Golden bodies per `outputformat`, limits and config validation.

use std::sync::Arc;

use crate::common::testing::encode_text;
use crate::common::MARKER;
use falconer_core::Alert;
use falconer_http::contract::assert_rejected;
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, SHELL_ALERT};
use serde_json::{json, Value};

use super::{GooglechatConfig, KIND, MAX_MESSAGE_BYTES};

fn body(settings: Value, alert: &Alert) -> (String, bool) {
    let config: GooglechatConfig = serde_json::from_value(settings).expect("valid config");
    encode_text(&config.encoder().expect("template parses"), alert)
}

/// `tests/fixtures/googlechat`, compared with [`assert_golden`]; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/googlechat");

#[test]
fn bodies_are_falcosidekicks() {
    let hook = "https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=t";
    let shell = enriched(SHELL_ALERT, 1);
    let (all, cut) = body(json!({"webhookurl": hook}), &shell);
    assert!(!cut);
    assert_golden(FIXTURES, "all.json", &all);
    let (with_text, _) = body(
        json!({"webhookurl": hook, "messageformat": "*{{ .Priority }}* {{ .Rule }}"}),
        &shell,
    );
    assert_golden(FIXTURES, "all-messageformat.json", &with_text);
    let (text, _) = body(
        json!({"webhookurl": hook, "outputformat": "text", "messageformat": "{{ .Output }}"}),
        &shell,
    );
    assert_golden(FIXTURES, "text.json", &text);
    let v: Value = serde_json::from_str(&all).expect("JSON");
    assert_eq!(
        v["cards"][0]["header"],
        json!({"title": "", "subtitle": ""})
    );
    let labels: Vec<&str> = v["cards"][0]["sections"][0]["widgets"]
        .as_array()
        .expect("widgets")
        .iter()
        .map(|w| w["keyValue"]["topLabel"].as_str().expect("label"))
        .collect();
    assert_eq!(
        labels,
        [
            "rule",
            "priority",
            "source",
            "hostname",
            "container.id",
            "k8s.ns.name",
            "k8s.pod.name",
            "proc.cmdline",
            "user.name",
            "tags",
            "time"
        ]
    );
}

#[test]
fn text_format_without_a_template_sends_the_output() {
    let shell = enriched(SHELL_ALERT, 1);
    let (text, _) = body(
        json!({"webhookurl": "https://h/x", "outputformat": "text"}),
        &shell,
    );
    assert_eq!(text, format!("{}\n", json!({"text": shell.output})));
}

#[test]
fn long_messages_are_cut_to_google_chats_limits() {
    let mut v: Value = serde_json::from_str(SHELL_ALERT).expect("JSON");
    v["output"] = "o".repeat(9_000).into();
    for i in 0..40 {
        v["output_fields"][format!("f.{i:02}")] = "é".repeat(1_000).into();
    }
    let alert = Arc::new(Alert::decode(v.to_string().as_bytes()).expect("alert"));
    let (all, cut) = body(
        json!({"webhookurl": "https://h/x", "messageformat": "{{ .Output }}"}),
        &alert,
    );
    assert!(cut);
    assert!(all.len() <= MAX_MESSAGE_BYTES, "{}", all.len());
    let v: Value = serde_json::from_str(&all).expect("JSON");
    let text = v["text"].as_str().expect("text");
    assert!(text.chars().count() <= 4_096 && text.ends_with(MARKER));
    let widgets = v["cards"][0]["sections"][0]["widgets"]
        .as_array()
        .expect("widgets");
    assert_eq!(widgets.len(), 51, "no widget dropped");
    assert!(widgets[5]["keyValue"]["content"]
        .as_str()
        .expect("content")
        .ends_with(MARKER));
}

#[test]
fn every_problem_is_reported_with_its_path() {
    assert_rejected(
        KIND,
        "googlechat",
        json!({"webhookurl": "ftp://x", "outputformat": "cards", "messageformat": "{{ end }}"}),
        &["webhookurl", "outputformat", "messageformat"],
    );
}
