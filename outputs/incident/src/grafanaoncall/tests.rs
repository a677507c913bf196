//! Bodies and validation, without a server.

use falconer_core::OutputConfig;
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use super::config::GrafanaOnCallConfig;
use super::encode::body;

/// `tests/fixtures/grafanaoncall`, compared with [`assert_golden`]; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/grafanaoncall");

/// `tests/fixtures/grafanaoncall/shell.json` and `configmap.json`. `UPDATE_GOLDEN=1` rewrites them.
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
        body(&enriched(CONFIGMAP_ALERT, 2)).expect("encodes"),
    );
}

#[test]
fn the_body_is_falcosidekicks() {
    let got = body(&enriched(CONFIGMAP_ALERT, 2)).expect("encodes");
    assert_eq!(got.last(), Some(&b'\n'));
    let v: Value = serde_json::from_slice(&got).expect("JSON");
    assert_eq!(
        v,
        json!({
            "alert_uid": "00000000-0000-0000-0000-000000000002",
            "state": "alerting",
            "title": "[Warning] Create/Modify Configmap With Private Credentials",
            "message": "09:21:07.418790000: Warning K8s configmap with private credential (user=minikube-user verb=create resource=configmaps configmap=aws-creds)",
        })
    );
    assert!(String::from_utf8(got)
        .unwrap()
        .starts_with(r#"{"alert_uid":"#));
}

#[test]
fn every_problem_is_reported_with_its_key() {
    let c: GrafanaOnCallConfig = falconer_config::from_value(
        json!({"webhookurl": "oncall/integrations/v1/formatted_webhook/x/", "customheaders": {"a b": "c"}}),
    )
    .expect("config");
    let mut problems = falconer_core::Problems::default();
    c.validate(&mut problems);
    let keys: Vec<&str> = problems.paths().collect();
    assert_eq!(keys, ["webhookurl", "customheaders.a b"]);
    assert!(c.http.checkcert && !c.http.mutualtls);
    assert!(!format!("{c:?}").contains("oncall/"));
}
