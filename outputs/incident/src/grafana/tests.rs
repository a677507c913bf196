//! Annotations, URL and validation, without a server.

use falconer_core::OutputConfig;
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use super::config::GrafanaConfig;
use super::encode::body;
use falconer_event::go_value;

fn config(v: Value) -> GrafanaConfig {
    falconer_config::from_value(v).expect("valid config")
}

/// `tests/fixtures/grafana`, compared with [`assert_golden`]; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/grafana");

/// `tests/fixtures/grafana/shell.json` (defaults) and `configmap-allfields.json` (dashboard, panel,
/// `allfieldsastags`). `UPDATE_GOLDEN=1` rewrites them.
#[test]
fn bodies_are_as_in_the_golden_files() {
    assert_golden(
        FIXTURES,
        "shell.json",
        body(&enriched(SHELL_ALERT, 1), 0, 0, false).expect("encodes"),
    );
    assert_golden(
        FIXTURES,
        "configmap-allfields.json",
        body(&enriched(CONFIGMAP_ALERT, 1), 12, 3, true).expect("encodes"),
    );
}

#[test]
fn the_annotation_is_falcosidekicks() {
    let got = body(&enriched(SHELL_ALERT, 1), 0, 0, false).expect("encodes");
    assert_eq!(got.last(), Some(&b'\n'));
    let v: Value = serde_json::from_slice(&got).expect("JSON");
    assert!(v.get("dashboardId").is_none() && v.get("panelId").is_none());
    assert_eq!(v["time"], 1715704316746i64);
    assert_eq!(v["timeEnd"], v["time"]);
    assert_eq!(
        v["tags"],
        json!([
            "falco",
            "Notice",
            "Terminal shell in container",
            "syscalls",
            "node-1"
        ])
    );
    let all = body(&enriched(SHELL_ALERT, 1), 1, 2, true).expect("encodes");
    let v: Value = serde_json::from_slice(&all).expect("JSON");
    assert_eq!(
        (v["dashboardId"].as_i64(), v["panelId"].as_i64()),
        (Some(1), Some(2))
    );
    let tags: Vec<&str> = v["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        tags.contains(&"12345678901234567890") && tags.contains(&"<nil>") && tags.contains(&"1.50")
    );
    assert_eq!(
        &tags[tags.len() - 3..],
        ["container", "mitre_execution", "shell"]
    );
}

#[test]
fn values_print_like_go() {
    assert_eq!(go_value(&json!(null), "<nil>"), "<nil>");
    assert_eq!(go_value(&json!(["a", 1, true]), "<nil>"), "[a 1 true]");
    assert_eq!(
        go_value(&json!({"b": 2, "a": "x"}), "<nil>"),
        "map[a:x b:2]"
    );
}

#[test]
fn url_and_defaults() {
    let c = config(json!({"hostport": "https://grafana.example.com/", "apikey": "glsa_x"}));
    assert_eq!(
        c.url().unwrap().as_str(),
        "https://grafana.example.com/api/annotations"
    );
    assert_eq!((c.dashboardid, c.panelid, c.allfieldsastags), (0, 0, false));
    assert!(c.http.checkcert && !c.http.mutualtls);
    assert!(!format!("{c:?}").contains("glsa_x"));
}

#[test]
fn every_problem_is_reported_with_its_key() {
    let mut problems = falconer_core::Problems::default();
    config(json!({"hostport": "grafana:3000", "apikey": "", "customheaders": {"a b": "c"}}))
        .validate(&mut problems);
    let keys: Vec<&str> = problems.paths().collect();
    assert_eq!(keys, ["hostport", "apikey", "customheaders.a b"]);
}
