//! Golden bodies per format and `outputformat`, card size, connector answers, validation.

use std::sync::Arc;

use crate::common::testing::encode_text;
use crate::common::MARKER;
use falconer_core::{Alert, Retry};
use falconer_http::contract::assert_rejected;
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use super::{check_answer, TeamsConfig, KIND, MAX_CARD_BYTES};

fn body(settings: Value, alert: &Alert) -> (String, bool) {
    let config: TeamsConfig = serde_json::from_value(settings).expect("valid config");
    encode_text(&config.encoder(), alert)
}

/// `tests/fixtures/teams`, compared with [`assert_golden`]; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/teams");

const HOOK: &str = "https://example.webhook.office.com/webhookb2/x";

#[test]
fn message_cards_are_falcosidekicks() {
    let shell = enriched(SHELL_ALERT, 1);
    let (all, cut) = body(json!({"webhookurl": HOOK}), &shell);
    assert!(!cut);
    assert_golden(FIXTURES, "messagecard-all.json", &all);
    let (text, _) = body(json!({"webhookurl": HOOK, "outputformat": "text"}), &shell);
    assert_golden(FIXTURES, "messagecard-text.json", &text);
    let (facts, _) = body(
        json!({"webhookurl": HOOK, "outputformat": "facts", "activityimage": ""}),
        &enriched(CONFIGMAP_ALERT, 2),
    );
    assert_golden(FIXTURES, "messagecard-facts.json", &facts);
    let v: Value = serde_json::from_str(&all).expect("JSON");
    assert_eq!(v["themeColor"], "5bffb5");
    assert_eq!(
        v["sections"][0]["activitySubtitle"],
        "2024-05-14 16:31:56.746609046 +0000 UTC"
    );
    let names: Vec<&str> = v["sections"][0]["facts"]
        .as_array()
        .expect("facts")
        .iter()
        .map(|f| f["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
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
            "tags"
        ]
    );
    let facts: Value = serde_json::from_str(&facts).expect("JSON");
    assert_eq!(
        facts["sections"][0]["text"], "",
        "falcosidekick always sends text"
    );
}

#[test]
fn adaptive_cards_use_the_workflows_envelope() {
    let shell = enriched(SHELL_ALERT, 1);
    let (all, cut) = body(
        json!({"webhookurl": HOOK, "format": "adaptivecard"}),
        &shell,
    );
    assert!(!cut);
    assert_golden(FIXTURES, "adaptivecard-all.json", &all);
    let (facts, _) = body(
        json!({"webhookurl": HOOK, "format": "AdaptiveCard", "outputformat": "facts"}),
        &enriched(CONFIGMAP_ALERT, 2),
    );
    assert_golden(FIXTURES, "adaptivecard-facts.json", &facts);
    let v: Value = serde_json::from_str(&all).expect("JSON");
    assert_eq!(v["type"], "message");
    let a = &v["attachments"][0];
    assert_eq!(a["contentType"], "application/vnd.microsoft.card.adaptive");
    assert_eq!(a["content"]["type"], "AdaptiveCard");
    assert_eq!(a["content"]["body"][0]["style"], "good", "Notice");
}

#[test]
fn cards_are_kept_under_teams_size_limit() {
    let mut v: Value = serde_json::from_str(SHELL_ALERT).expect("JSON");
    v["output"] = "<o>".repeat(10_000).into();
    for i in 0..30 {
        v["output_fields"][format!("f.{i:02}")] = "v".repeat(2_000).into();
    }
    let alert = Arc::new(Alert::decode(v.to_string().as_bytes()).expect("alert"));
    for format in ["messagecard", "adaptivecard"] {
        let (card, cut) = body(json!({"webhookurl": HOOK, "format": format}), &alert);
        assert!(cut, "{format}");
        assert!(card.len() <= MAX_CARD_BYTES, "{format}: {}", card.len());
        assert!(card.contains(MARKER), "{format}");
        let v: Value = serde_json::from_str(&card).expect("JSON");
        assert!(v.is_object());
    }
}

#[test]
fn connector_answers_are_classified() {
    assert!(check_answer(b"1").is_ok());
    assert!(check_answer(b"").is_ok());
    let throttled = check_answer(
        b"Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi",
    )
    .expect_err("throttled");
    assert_eq!(throttled.retry(), Retry::Backoff);
    assert_eq!(throttled.label(), "http_429");
    let failed = check_answer(b"Webhook message delivery failed with error: Bad payload")
        .expect_err("failed");
    assert_eq!(failed.retry(), Retry::Never);
}

#[test]
fn every_problem_is_reported_with_its_path() {
    assert_rejected(
        KIND,
        "teams",
        json!({"webhookurl": "", "outputformat": "fields", "format": "hero"}),
        &["webhookurl", "outputformat", "format"],
    );
}
