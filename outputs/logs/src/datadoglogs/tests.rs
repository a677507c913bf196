//! Entries, URL and validation, without a server.

use std::sync::Arc;

use falconer_core::{Alert, OutputConfig};
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use super::config::DatadogLogsConfig;
use super::encode::body;

fn config(v: Value) -> DatadogLogsConfig {
    serde_json::from_value(v).expect("valid config")
}

fn golden(name: &str, got: &[u8]) {
    let path = format!(
        "{}/tests/fixtures/datadoglogs/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).expect("write golden");
    }
    let want = std::fs::read_to_string(&path).expect("golden file");
    assert_eq!(String::from_utf8_lossy(got), want, "{name}");
}

/// `tests/fixtures/datadoglogs/single.json` (one alert: falcosidekick's object) and `batch.json` (two
/// alerts: an array). `UPDATE_GOLDEN=1` rewrites them.
#[test]
fn bodies_are_as_in_the_golden_files() {
    let one = body(&[enriched(SHELL_ALERT, 1)], "falco").expect("encodes");
    golden("single.json", &one);
    let batch: Vec<Arc<Alert>> = vec![enriched(CONFIGMAP_ALERT, 1), enriched(SHELL_ALERT, 2)];
    golden("batch.json", &body(&batch, "").expect("encodes"));
}

#[test]
fn one_entry_is_falcosidekicks_object() {
    let alert = enriched(SHELL_ALERT, 1);
    let got = body(std::slice::from_ref(&alert), "svc").expect("encodes");
    assert_eq!(got.last(), Some(&b'\n'));
    let v: Value = serde_json::from_slice(&got).expect("JSON");
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(v["ddsource"], "falco");
    assert_eq!(v["hostname"], "node-1");
    assert_eq!(v["service"], "svc");
    assert_eq!(v["ddtags"], "container,mitre_execution,shell");
    assert_eq!(
        v["message"].as_str().unwrap().as_bytes(),
        alert.json_bytes().as_ref()
    );
    let text = String::from_utf8(got).unwrap();
    assert!(
        text.starts_with(
            r#"{"ddsource":"falco","hostname":"node-1","service":"svc","message":"{\"uuid\""#
        ),
        "{text} {keys:?}"
    );
}

#[test]
fn tags_are_sorted_by_enrichment_and_empty_fields_left_out() {
    let json = SHELL_ALERT
        .replace(
            r#"["container","mitre_execution","shell"]"#,
            r#"["shell","container"]"#,
        )
        .replace(r#""hostname":"node-1","#, "");
    let got = body(&[enriched(&json, 1)], "").expect("encodes");
    let v: Value = serde_json::from_slice(&got).expect("JSON");
    assert_eq!(v["ddtags"], "container,shell");
    assert!(v.get("hostname").is_none() && v.get("service").is_none());
    let message: Value = serde_json::from_str(v["message"].as_str().unwrap()).unwrap();
    assert_eq!(message["tags"], json!(["container", "shell"]));
    assert_eq!(
        message["output_fields"]["n_drops"].to_string(),
        "12345678901234567890"
    );
}

#[test]
fn the_url_has_no_double_slash_and_defaults_are_falcosidekicks() {
    let c = config(json!({"apikey": "k"}));
    assert_eq!(
        c.url().unwrap().as_str(),
        "https://http-intake.logs.datadoghq.com/api/v2/logs"
    );
    assert_eq!(c.service, "");
    assert!(c.tls.checkcert && !c.tls.mutualtls);
    assert!(!format!("{c:?}").contains("\"k\""));
}

#[test]
fn every_problem_is_reported_with_its_key() {
    let mut problems = falconer_core::Problems::default();
    config(json!({"apikey": "", "host": "intake"})).validate(&mut problems);
    let keys: Vec<&str> = problems.paths().collect();
    assert_eq!(keys, ["apikey", "host"]);
}
