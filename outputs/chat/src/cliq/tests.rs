//! Golden bodies per `outputformat`, falcosidekick's own test case, validation.

use falconer_core::Alert;
use falconer_http::contract::assert_rejected;
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use super::{CliqConfig, KIND};
use crate::common::DEFAULT_ICON;

/// `tests/fixtures/cliq`; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cliq");

fn body(settings: Value, alert: &Alert) -> String {
    let c: CliqConfig = serde_json::from_value(settings).expect("config");
    let body = c
        .encoder()
        .expect("template parses")
        .body(alert)
        .expect("encodes");
    String::from_utf8(body).expect("UTF-8")
}

#[test]
fn bodies_are_falcosidekicks() {
    let hook = "https://cliq.zoho.com/api/v2/channelsbyname/falco/message?zapikey=k";
    let shell = enriched(SHELL_ALERT, 1);
    assert_golden(
        FIXTURES,
        "all.json",
        body(json!({"webhookurl": hook}), &shell),
    );
    assert_golden(
        FIXTURES,
        "all-messageformat-emoji.json",
        body(
            json!({"webhookurl": hook, "useemoji": true,
                   "messageformat": "Rule: {{ .Rule }} Priority: {{ .Priority }}"}),
            &enriched(CONFIGMAP_ALERT, 2),
        ),
    );
    assert_golden(
        FIXTURES,
        "text.json",
        body(
            json!({"webhookurl": hook, "outputformat": "text", "messageformat": "*{{ .Rule }}*"}),
            &shell,
        ),
    );
    assert_golden(
        FIXTURES,
        "fields.json",
        body(
            json!({"webhookurl": hook, "outputformat": "fields", "icon": ""}),
            &shell,
        ),
    );
}

/// falcosidekick's `TestNewCliqPayload`, field for field.
#[test]
fn falcosidekicks_own_test_case() {
    let alert = std::sync::Arc::new(
        Alert::decode(
            br#"{"output":"This is a test from falcosidekick","priority":"Debug","rule":"Test rule","time":"2001-01-01T01:10:00Z","hostname":"test-host","output_fields":{"proc.name":"falcosidekick","proc.tty":1234}}"#,
        )
        .expect("alert"),
    );
    let got: Value = serde_json::from_str(&body(
        json!({"webhookurl": "https://h/", "useemoji": true,
               "messageformat": "Rule: {{ .Rule }} Priority: {{ .Priority }}"}),
        &alert,
    ))
    .expect("JSON");
    let want = json!({
        "text": "\u{26AA} Rule: Test rule Priority: Debug",
        "bot": {"name": "Falco Sidekick", "image": DEFAULT_ICON},
        "slides": [
            {"type": "text", "data": "This is a test from falcosidekick"},
            {"type": "table", "data": {"headers": ["field", "value"], "rows": [
                {"field": "rule", "value": "Test rule"},
                {"field": "priority", "value": "Debug"},
                {"field": "hostname", "value": "test-host"},
                {"field": "proc.name", "value": "falcosidekick"},
                {"field": "time", "value": "2001-01-01 01:10:00 +0000 UTC"}
            ]}}
        ]
    });
    assert_eq!(got, want);
}

#[test]
fn every_problem_is_reported_with_its_path() {
    assert_rejected(
        KIND,
        "cliq",
        json!({"webhookurl": "ftp://x", "outputformat": "cards", "messageformat": "{{ end }}"}),
        &["webhookurl", "outputformat", "messageformat"],
    );
}
