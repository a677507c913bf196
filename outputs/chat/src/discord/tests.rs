//! Golden body, Discord's embed limits and config validation.

use std::sync::Arc;

use crate::common::testing::encode_text;
use crate::common::MARKER;
use falconer_core::{Alert, OutputConfig};
use falconer_http::contract::assert_rejected;
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use super::{DiscordConfig, KIND, MAX_EMBED_TOTAL};

fn body(settings: Value, alert: &Alert) -> (String, bool) {
    let config: DiscordConfig = serde_json::from_value(settings).expect("valid config");
    encode_text(&config.encoder(), alert)
}

/// `tests/fixtures/discord`, compared with [`assert_golden`]; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/discord");

#[test]
fn bodies_are_falcosidekicks() {
    let hook = "https://discord.com/api/webhooks/1/tok";
    let (shell, cut) = body(json!({"webhookurl": hook}), &enriched(SHELL_ALERT, 1));
    assert!(!cut);
    assert_golden(FIXTURES, "embed.json", &shell);
    let (configmap, _) = body(
        json!({"webhookurl": hook, "icon": "https://example.com/falco.png"}),
        &enriched(CONFIGMAP_ALERT, 2),
    );
    assert_golden(FIXTURES, "embed-configmap.json", &configmap);
    let v: Value = serde_json::from_str(&shell).expect("JSON");
    let e = &v["embeds"][0];
    assert_eq!(e["color"], "3066993", "Notice, as a string");
    assert_eq!(
        e["fields"][4],
        json!({"name": "container.id", "value": "```5f3c1b2a9d8e```", "inline": true})
    );
    assert_eq!(e["fields"][10]["name"], "time");
}

fn huge() -> Arc<Alert> {
    let mut v: Value = serde_json::from_str(SHELL_ALERT).expect("JSON");
    v["output"] = "o".repeat(5_000).into();
    for i in 0..40 {
        v["output_fields"][format!("f.{i:02}")] = "v".repeat(2_000).into();
    }
    Arc::new(Alert::decode(v.to_string().as_bytes()).expect("alert"))
}

#[test]
fn embeds_are_kept_within_discords_limits() {
    let (all, cut) = body(json!({"webhookurl": "https://h/x"}), &huge());
    assert!(cut);
    let v: Value = serde_json::from_str(&all).expect("JSON");
    let e = &v["embeds"][0];
    let fields = e["fields"].as_array().expect("fields");
    assert_eq!(fields.len(), 25);
    let len = |v: &Value| v.as_str().expect("string").chars().count();
    let total = len(&e["description"])
        + fields
            .iter()
            .map(|f| len(&f["name"]) + len(&f["value"]))
            .sum::<usize>();
    assert!(total <= MAX_EMBED_TOTAL, "{total}");
    assert!(len(&e["description"]) <= 4_096);
    assert!(e["description"].as_str().expect("d").ends_with(MARKER));
    assert!(fields.iter().all(|f| len(&f["value"]) <= 1_024));
    assert_eq!(fields[22]["value"], "27 more fields not shown");
    assert_eq!(fields[23]["name"], "tags");
    assert_eq!(fields[24]["name"], "time");
}

#[test]
fn every_problem_is_reported_with_its_path() {
    assert_rejected(
        KIND,
        "outputs[3] (d)",
        json!({"webhookurl": "discord.com/api/webhooks/1/x"}),
        &["webhookurl"],
    );
    let c: DiscordConfig =
        serde_json::from_value(json!({"webhookurl": "https://h/x"})).expect("config");
    let mut problems = falconer_core::Problems::default();
    c.validate(&mut problems);
    assert!(problems.is_empty() && c.tls.checkcert && c.icon.ends_with("falcosidekick_color.png"));
}
