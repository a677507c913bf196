//! Golden bodies per layout and `outputformat`, limits, and config validation.

use std::sync::Arc;

use crate::common::testing::encode_text;
use crate::common::MARKER;
use falconer_core::{Alert, OutputConfig};
use falconer_http::contract::assert_rejected;
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use super::{SlackConfig, KIND};

fn config(v: Value) -> SlackConfig {
    serde_json::from_value(v).expect("valid config")
}

fn body(settings: Value, alert: &Alert) -> (String, bool) {
    encode_text(&config(settings).encoder().expect("template parses"), alert)
}

/// `tests/fixtures/slack`, compared with [`assert_golden`]; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/slack");

fn shell() -> Arc<Alert> {
    enriched(SHELL_ALERT, 1)
}

#[test]
fn attachment_bodies_are_falcosidekicks() {
    let hook = "https://hooks.slack.com/services/T0/B0/x";
    let (all, cut) = body(json!({"webhookurl": hook}), &shell());
    assert!(!cut);
    assert_golden(FIXTURES, "attachments-all.json", &all);
    let (text, _) = body(
        json!({"webhookurl": hook, "outputformat": "text", "channel": "#falco",
               "messageformat": "Alert {{ .Rule }} ({{ .Priority }}) at {{ .Time }} on {{ index .OutputFields \"container.id\" }}"}),
        &shell(),
    );
    assert_golden(FIXTURES, "attachments-text.json", &text);
    let (fields, _) = body(
        json!({"webhookurl": hook, "outputformat": "fields", "footer": "", "icon": "", "username": "falco"}),
        &enriched(CONFIGMAP_ALERT, 2),
    );
    assert_golden(FIXTURES, "attachments-fields.json", &fields);
}

#[test]
fn the_attachment_layout_keeps_falcosidekicks_order_colour_and_time() {
    let (all, _) = body(json!({"webhookurl": "https://h/x"}), &shell());
    let v: Value = serde_json::from_str(&all).expect("JSON");
    let a = &v["attachments"][0];
    assert_eq!(a["color"], "#5bffb5", "Notice");
    let titles: Vec<&str> = a["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["title"].as_str().expect("title"))
        .collect();
    assert_eq!(
        titles,
        [
            "rule",
            "priority",
            "source",
            "hostname",
            "tags",
            "container.id",
            "k8s.ns.name",
            "k8s.pod.name",
            "proc.cmdline",
            "user.name",
            "time"
        ],
        "numbers and null are left out"
    );
    let time = a["fields"][10].clone();
    assert_eq!(
        time,
        json!({"title": "time", "value": "2024-05-14 16:31:56.746609046 +0000 UTC", "short": false})
    );
    assert!(all.starts_with(r#"{"username":"Falcosidekick","icon_url":"https://raw.githubusercontent.com/falcosecurity/falcosidekick/master/imgs/falcosidekick_color.png","attachments":[{"fallback":"#));
    assert!(
        all.ends_with("}\n"),
        "Go's encoder ends the body with a newline"
    );
}

#[test]
fn block_bodies_are_as_in_the_golden_files() {
    let hook = "https://hooks.slack.com/services/T0/B0/x";
    let (all, cut) = body(json!({"webhookurl": hook, "format": "blocks"}), &shell());
    assert!(!cut);
    assert_golden(FIXTURES, "blocks-all.json", &all);
    let (fields, _) = body(
        json!({"webhookurl": hook, "format": "blocks", "outputformat": "fields",
               "channel": "#sec", "messageformat": "{{ .Priority }}: {{ .Output }}"}),
        &enriched(CONFIGMAP_ALERT, 2),
    );
    assert_golden(FIXTURES, "blocks-fields.json", &fields);
    let (text, _) = body(
        json!({"webhookurl": hook, "format": "blocks", "outputformat": "text"}),
        &shell(),
    );
    assert_golden(FIXTURES, "blocks-text.json", &text);
}

fn huge(output_chars: usize, fields: usize) -> Arc<Alert> {
    let mut v: Value = serde_json::from_str(SHELL_ALERT).expect("JSON");
    v["output"] = Value::String("x<&>".repeat(output_chars / 4));
    for i in 0..fields {
        v["output_fields"][format!("f.{i:03}")] = Value::String("y".repeat(3_000));
    }
    // Not enriched: enrichment would already cut long fields to 512 bytes.
    Arc::new(Alert::decode(v.to_string().as_bytes()).expect("valid alert"))
}

#[test]
fn long_texts_are_cut_to_slacks_limits_with_a_marker() {
    let (all, cut) = body(
        json!({"webhookurl": "https://h/x", "messageformat": "{{ .Output }}"}),
        &huge(10_000, 3),
    );
    assert!(cut);
    let v: Value = serde_json::from_str(&all).expect("JSON");
    let chars = |v: &Value| v.as_str().expect("string").chars().count();
    assert_eq!(chars(&v["text"]), 4_000);
    assert!(v["text"].as_str().expect("text").ends_with(MARKER));
    assert_eq!(chars(&v["attachments"][0]["text"]), 4_000);
    assert_eq!(chars(&v["attachments"][0]["fallback"]), 4_000);
    let fields = v["attachments"][0]["fields"].as_array().expect("fields");
    let f0 = fields
        .iter()
        .find(|f| f["title"] == "f.000")
        .expect("f.000");
    assert_eq!(chars(&f0["value"]), 2_000, "f.000 cut");
    assert!(fields.iter().all(|f| chars(&f["value"]) <= 2_000));
}

#[test]
fn blocks_keep_block_kit_limits() {
    let (all, cut) = body(
        json!({"webhookurl": "https://h/x", "format": "blocks"}),
        &huge(10_000, 600),
    );
    assert!(cut);
    let v: Value = serde_json::from_str(&all).expect("JSON");
    let blocks = v["attachments"][0]["blocks"].as_array().expect("blocks");
    assert_eq!(blocks.len(), 50);
    let section = blocks[1]["text"]["text"].as_str().expect("section");
    assert_eq!(section.chars().count(), 3_000);
    assert!(section.starts_with("x&lt;&amp;&gt;"), "mrkdwn escaped");
    for b in &blocks[2..49] {
        let fields = b["fields"].as_array().expect("fields");
        assert!(fields.len() <= 10);
        for f in fields {
            assert!(f["text"].as_str().expect("text").chars().count() <= 2_000);
        }
    }
    let last_fields = blocks[48]["fields"].as_array().expect("fields");
    assert_eq!(
        last_fields.last().expect("marker")["text"],
        "*…*\n139 more fields not shown"
    );
}

#[test]
fn defaults_are_falcosidekicks() {
    let c = config(json!({"webhookurl": "https://h/x"}));
    assert_eq!(c.username, "Falcosidekick");
    assert_eq!(c.footer, "https://github.com/falcosecurity/falcosidekick");
    assert_eq!(
        c.icon,
        "https://raw.githubusercontent.com/falcosecurity/falcosidekick/master/imgs/falcosidekick_color.png"
    );
    assert_eq!((c.outputformat.as_str(), c.channel.as_str()), ("all", ""));
    assert!(c.tls.checkcert && !c.tls.mutualtls);
    assert!(
        !format!("{c:?}").contains("https://h/x"),
        "the URL is a secret"
    );
}

#[test]
fn every_problem_is_reported_with_its_path() {
    assert_rejected(
        KIND,
        "outputs[0]",
        json!({"webhookurl": "hooks.slack.com", "outputformat": "table",
                         "messageformat": "{{ .Rule ", "format": "cards"}),
        &["webhookurl", "outputformat", "messageformat", "format"],
    );
    let mut problems = falconer_core::Problems::default();
    config(json!({"webhookurl": "https://h/x", "messageformat": "{{ .Rule }}"}))
        .validate(&mut problems);
    assert!(problems.is_empty(), "{problems:?}");
}
