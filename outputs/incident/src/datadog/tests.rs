//! Events, URL and validation, without a server.

use falconer_core::OutputConfig;
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use super::config::DatadogConfig;
use super::encode::body;

fn config(v: Value) -> DatadogConfig {
    falconer_config::from_value(v).expect("valid config")
}

/// `tests/fixtures/datadog`, compared with [`assert_golden`]; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/datadog");

/// `tests/fixtures/datadog/shell.json` and `configmap.json`. `UPDATE_GOLDEN=1` rewrites them.
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
fn the_event_is_falcosidekicks() {
    let got = body(&enriched(SHELL_ALERT, 1)).expect("encodes");
    assert_eq!(got.last(), Some(&b'\n'));
    let v: Value = serde_json::from_slice(&got).expect("JSON");
    assert_eq!(v["title"], "Terminal shell in container");
    assert_eq!(v["alert_type"], "info");
    assert_eq!(v["source_type_name"], "falco");
    assert_eq!(
        v["tags"],
        json!([
            "container.id:5f3c1b2a9d8e",
            "k8s.ns.name:default",
            "k8s.pod.name:web-7d9c",
            "proc.cmdline:bash",
            "user.name:root",
            "source:syscalls",
            "source:falco",
            "hostname:node-1",
            "container",
            "mitre_execution",
            "shell"
        ])
    );
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let text = String::from_utf8(got.clone()).unwrap();
    assert!(text.starts_with(r#"{"title":"#), "{keys:?}");
    let warning = body(&enriched(CONFIGMAP_ALERT, 1)).expect("encodes");
    let v: Value = serde_json::from_slice(&warning).expect("JSON");
    assert_eq!(v["alert_type"], "warning");
}

#[test]
fn url_carries_the_key_and_defaults_are_falcosidekicks() {
    let c = config(json!({"apikey": "abc123"}));
    assert_eq!(
        c.url().unwrap().as_str(),
        "https://api.datadoghq.com/api/v1/events?api_key=abc123"
    );
    let eu = config(json!({"apikey": "k", "host": "https://api.datadoghq.eu/"}));
    assert_eq!(
        eu.url().unwrap().as_str(),
        "https://api.datadoghq.eu/api/v1/events?api_key=k"
    );
    assert!(c.tls.checkcert && !c.tls.mutualtls);
    assert!(!format!("{c:?}").contains("abc123"));
}

#[test]
fn every_problem_is_reported_with_its_key() {
    let mut problems = falconer_core::Problems::default();
    config(json!({"apikey": "", "host": "api.datadoghq.com"})).validate(&mut problems);
    let keys: Vec<&str> = problems.paths().collect();
    assert_eq!(keys, ["apikey", "host"]);
}
