//! Events, severities, dedup keys, limits, URLs and validation, without a server.

use falconer_config::Secret;
use falconer_core::{OutputConfig, SendError};
use falconer_event::{GoTemplate, Priority};
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use super::config::PagerDutyConfig;
use super::encode::{pagerduty_severity, PagerDutyEncoder, MAX_SUMMARY};
use super::output::classify;

fn config(v: Value) -> PagerDutyConfig {
    falconer_config::from_value(v).expect("valid config")
}

/// `tests/fixtures/pagerduty`, compared with [`assert_golden`]; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pagerduty");

fn encoder(dedup: &str) -> PagerDutyEncoder {
    config(json!({"routingkey": "R0UT1NGKEY", "dedupkey": dedup}))
        .encoder()
        .expect("encoder")
}

/// `tests/fixtures/pagerduty/shell.json` (no dedup key) and `configmap-dedup.json` (with a dedup key
/// template). `UPDATE_GOLDEN=1` rewrites them.
#[test]
fn bodies_are_as_in_the_golden_files() {
    assert_golden(
        FIXTURES,
        "shell.json",
        encoder("")
            .body(&enriched(SHELL_ALERT, 1))
            .expect("encodes"),
    );
    let enc = encoder(r#"{{ .Rule }}/{{ index .OutputFields "ka.user.name" }}@{{ .Hostname }}"#);
    assert_golden(
        FIXTURES,
        "configmap-dedup.json",
        enc.body(&enriched(CONFIGMAP_ALERT, 1)).expect("encodes"),
    );
}

#[test]
fn the_event_fixes_falcosidekicks_gaps() {
    let enc = encoder("{{ .Rule }}-{{ .Hostname }}");
    let got = enc.body(&enriched(CONFIGMAP_ALERT, 1)).expect("encodes");
    assert_ne!(got.last(), Some(&b'\n'), "json.Marshal: no newline");
    let v: Value = serde_json::from_slice(&got).expect("JSON");
    assert_eq!(v["routing_key"], "R0UT1NGKEY");
    assert_eq!(v["event_action"], "trigger");
    assert_eq!(
        v["dedup_key"],
        "Create/Modify Configmap With Private Credentials-minikube"
    );
    let p = &v["payload"];
    assert_eq!(p["severity"], "warning", "not always critical");
    assert_eq!(p["source"], "falco");
    assert_eq!(p["timestamp"], "2024-05-14T09:21:07Z");
    let d = &p["custom_details"];
    assert_eq!(
        d["rule"],
        "Create/Modify Configmap With Private Credentials"
    );
    assert_eq!(d["priority"], "Warning");
    assert_eq!(d["source"], "k8s_audit");
    assert_eq!(d["tags"], "k8s");
    assert_eq!(d["hostname"], "minikube");
    assert_eq!(d["ka.user.name"], "minikube-user");
    assert_eq!(d["evt.time"].to_string(), "1715678467418790000");
    let text = String::from_utf8(got).expect("utf-8");
    assert!(text.starts_with(r#"{"routing_key":"R0UT1NGKEY","event_action":"trigger","dedup_key""#));
}

#[test]
fn severities_follow_the_priority() {
    let got: Vec<&str> = Priority::ALL
        .iter()
        .map(|p| pagerduty_severity(*p))
        .collect();
    assert_eq!(
        got,
        ["info", "info", "info", "warning", "error", "critical", "critical", "critical"]
    );
}

#[test]
fn long_summaries_and_dedup_keys_are_shortened_and_counted() {
    let long = "x".repeat(3000);
    let json = SHELL_ALERT.replace("16:31:56.746609046: Notice A shell was spawned", &long);
    let enc = PagerDutyEncoder::new(
        Secret::new("k"),
        Some(GoTemplate::parse(&"{{ .Rule }}".repeat(20)).expect("template")),
    );
    let v: Value =
        serde_json::from_slice(&enc.body(&enriched(&json, 1)).expect("encodes")).expect("JSON");
    let summary = v["payload"]["summary"].as_str().expect("summary");
    assert_eq!(summary.chars().count(), MAX_SUMMARY);
    assert!(summary.ends_with('…'));
    assert_eq!(v["dedup_key"].as_str().expect("key").chars().count(), 255);
    assert_eq!(enc.truncations.take(), 2);
    assert_eq!(enc.truncations.take(), 0);
}

#[test]
fn a_dedup_key_that_does_not_render_is_left_out() {
    let enc = encoder(r#"{{ printf "%9555559o" 8 }}"#);
    let v: Value = serde_json::from_slice(&enc.body(&enriched(SHELL_ALERT, 1)).expect("encodes"))
        .expect("JSON");
    assert!(v.get("dedup_key").is_none());
}

#[test]
fn the_region_is_honoured() {
    let us = config(json!({"routingkey": "k"}));
    assert_eq!(
        us.url().unwrap().as_str(),
        "https://events.pagerduty.com/v2/enqueue"
    );
    let eu = config(json!({"routingkey": "k", "region": "eu"}));
    assert_eq!(
        eu.url().unwrap().as_str(),
        "https://events.eu.pagerduty.com/v2/enqueue"
    );
    assert!(!format!("{us:?}").contains("\"k\""));
}

#[test]
fn a_400_is_final_and_a_429_is_retried() {
    let status = |code: u16| SendError::Status {
        status: reqwest::StatusCode::from_u16(code).expect("status"),
        body: r#"{"status":"invalid event","errors":["'routing_key' is invalid"]}"#.into(),
        retry_after: None,
    };
    assert!(
        matches!(classify(status(400)), SendError::Rejected(ref m) if m.contains("routing_key"))
    );
    assert_eq!(classify(status(429)).retry(), falconer_core::Retry::Backoff);
}

#[test]
fn every_problem_is_reported_with_its_key() {
    let mut problems = falconer_core::Problems::default();
    config(json!({"routingkey": "", "region": "ap", "host": "ftp://x", "dedupkey": "{{ .Rule "}))
        .validate(&mut problems);
    let keys: Vec<&str> = problems.paths().collect();
    assert_eq!(keys, ["routingkey", "region", "host", "dedupkey"]);
}
