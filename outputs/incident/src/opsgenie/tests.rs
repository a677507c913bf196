//! Bodies, priorities, URLs and validation, without a server.

use falconer_core::{OutputConfig, SendError};
use falconer_event::Priority;
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use super::config::OpsgenieConfig;
use super::encode::{body, opsgenie_priority};
use super::output::classify;

fn config(v: Value) -> OpsgenieConfig {
    falconer_config::from_value(v).expect("valid config")
}

/// `tests/fixtures/opsgenie`, compared with [`assert_golden`]; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/opsgenie");

/// `tests/fixtures/opsgenie/shell.json` and `configmap.json`. `UPDATE_GOLDEN=1` rewrites them.
#[test]
fn bodies_are_as_in_the_golden_files() {
    assert_golden(
        FIXTURES,
        "shell.json",
        body(&enriched(SHELL_ALERT, 1)).expect("encodes"),
    );
    assert_golden(
        FIXTURES,
        "configmap.json",
        body(&enriched(CONFIGMAP_ALERT, 1)).expect("encodes"),
    );
}

#[test]
fn details_hold_string_fields_and_the_alerts_facts() {
    let got = body(&enriched(SHELL_ALERT, 1)).expect("encodes");
    assert_eq!(got.last(), Some(&b'\n'));
    let v: Value = serde_json::from_slice(&got).expect("JSON");
    assert_eq!(v["entity"], "Falcosidekick");
    assert_eq!(v["description"], "Terminal shell in container");
    assert_eq!(v["priority"], "P5");
    assert_eq!(
        v["details"],
        json!({
            "container_id": "5f3c1b2a9d8e",
            "hostname": "node-1",
            "k8s_ns_name": "default",
            "k8s_pod_name": "web-7d9c",
            "priority": "Notice",
            "proc_cmdline": "bash",
            "rule": "Terminal shell in container",
            "source": "syscalls",
            "tags": "container, mitre_execution, shell",
            "user_name": "root",
        })
    );
    let text = String::from_utf8(got).expect("utf-8");
    assert!(text.starts_with(r#"{"message":"16:31:56.746609046: Notice"#));
}

#[test]
fn priorities_map_to_p1_to_p5() {
    let got: Vec<&str> = Priority::ALL
        .iter()
        .map(|p| opsgenie_priority(*p))
        .collect();
    assert_eq!(got, ["P5", "P5", "P5", "P4", "P3", "P2", "P1", "P1"]);
}

#[test]
fn regions_and_host() {
    let us = config(json!({"apikey": "k"}));
    assert_eq!(
        us.url().unwrap().as_str(),
        "https://api.opsgenie.com/v2/alerts"
    );
    let eu = config(json!({"apikey": "k", "region": "EU"}));
    assert_eq!(
        eu.url().unwrap().as_str(),
        "https://api.eu.opsgenie.com/v2/alerts"
    );
    let host = config(json!({"apikey": "k", "region": "eu", "host": "http://127.0.0.1:9/"}));
    assert_eq!(host.url().unwrap().as_str(), "http://127.0.0.1:9/v2/alerts");
    assert!(us.tls.checkcert && !us.tls.mutualtls);
    assert!(!format!("{us:?}").contains("\"k\""));
}

#[test]
fn a_422_is_a_final_rejection() {
    let e = classify(SendError::Status {
        status: reqwest::StatusCode::UNPROCESSABLE_ENTITY,
        body: r#"{"message":"Request body is not processable"}"#.into(),
        retry_after: None,
    });
    assert!(
        matches!(e, SendError::Rejected(ref m) if m.contains("not processable")),
        "{e}"
    );
}

#[test]
fn every_problem_is_reported_with_its_key() {
    let mut problems = falconer_core::Problems::default();
    config(json!({"apikey": "", "region": "de", "host": "ftp://x"})).validate(&mut problems);
    let keys: Vec<&str> = problems.paths().collect();
    assert_eq!(keys, ["apikey", "region", "host"]);
}
