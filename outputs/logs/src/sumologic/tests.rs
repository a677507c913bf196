//! Body, headers and validation, without a server.

use std::sync::Arc;

use falconer_core::{Alert, OutputConfig};
use falconer_http::ndjson;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::json;

use super::config::SumoLogicConfig;

fn config(v: serde_json::Value) -> SumoLogicConfig {
    serde_json::from_value(v).expect("valid config")
}

/// `tests/fixtures/sumologic/batch.ndjson` is what a batch of the two sample alerts sends.
/// `UPDATE_GOLDEN=1` rewrites it.
#[test]
fn a_batch_is_one_payload_line_per_alert_as_in_the_golden_file() {
    let batch: Vec<Arc<Alert>> = vec![enriched(CONFIGMAP_ALERT, 1), enriched(SHELL_ALERT, 2)];
    let got = ndjson(&batch);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sumologic/batch.ndjson"
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &got).expect("write golden");
    }
    assert_eq!(
        String::from_utf8_lossy(&got),
        std::fs::read_to_string(path).expect("golden file")
    );
}

#[test]
fn only_the_headers_that_are_set_are_sent() {
    let c =
        config(json!({"receiverurl": "https://sumo/receiver/v1/http/t", "sourcehost": "node-1"}));
    let names: Vec<String> = c
        .options()
        .headers
        .into_iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    assert_eq!(names, ["X-Sumo-Host=node-1"]);
    assert!(
        !format!("{c:?}").contains("receiver/v1"),
        "the URL never prints"
    );
}

#[test]
fn every_problem_is_reported_with_its_key() {
    let mut problems = falconer_core::Problems::default();
    config(json!({"receiverurl": "ftp://x", "name": "a\nb"})).validate(&mut problems);
    let keys: Vec<&str> = problems.paths().collect();
    assert_eq!(keys, ["receiverurl", "name"]);
}
