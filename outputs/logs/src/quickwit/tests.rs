//! Bodies, URLs and validation, without a server.

use std::sync::Arc;

use falconer_core::{Alert, OutputConfig, SendError};
use falconer_http::ndjson;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::json;

use super::config::QuickwitConfig;
use super::index::index_config;
use super::output::check_answer;

fn config(v: serde_json::Value) -> QuickwitConfig {
    serde_json::from_value(v).expect("valid config")
}

fn golden(name: &str, got: &[u8]) {
    let path = format!(
        "{}/tests/fixtures/quickwit/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).expect("write golden");
    }
    let want = std::fs::read(&path).expect("golden file");
    assert_eq!(
        String::from_utf8_lossy(got),
        String::from_utf8_lossy(&want),
        "{name}"
    );
}

/// `tests/fixtures/quickwit/ingest-batch.ndjson` is what a batch of the two sample alerts sends: one
/// payload JSON line each. `UPDATE_GOLDEN=1` rewrites the fixtures.
#[test]
fn a_batch_is_one_payload_line_per_alert_as_in_the_golden_file() {
    let batch: Vec<Arc<Alert>> = vec![enriched(CONFIGMAP_ALERT, 1), enriched(SHELL_ALERT, 2)];
    golden("ingest-batch.ndjson", &ndjson(&batch));
}

#[test]
fn one_alert_is_falcosidekicks_body_the_payload_and_a_newline() {
    let alert = enriched(CONFIGMAP_ALERT, 1);
    let mut want = alert.json_bytes().to_vec();
    want.push(b'\n');
    assert_eq!(ndjson(&[alert]), want);
}

/// `tests/fixtures/quickwit/index-config.json`: falcosidekick's `QuickwitMappingPayload` for the
/// defaults, field for field in its order.
#[test]
fn the_index_config_is_falcosidekicks() {
    golden("index-config.json", &index_config("falco", "0.7"));
}

#[test]
fn urls_join_hostport_apiendpoint_and_index() {
    let c = config(json!({"hostport": "http://qw:7280"}));
    assert_eq!(
        c.ingest_url().unwrap().as_str(),
        "http://qw:7280/api/v1/falco/ingest"
    );
    let c = config(
        json!({"hostport": "https://qw:7280/", "apiendpoint": "/qw/api/v1/", "index": "sec"}),
    );
    assert_eq!(
        c.ingest_url().unwrap().as_str(),
        "https://qw:7280/qw/api/v1/sec/ingest"
    );
    assert_eq!(
        c.api_url("indexes/sec/describe").unwrap().as_str(),
        "https://qw:7280/qw/api/v1/indexes/sec/describe"
    );
}

#[test]
fn defaults_are_falcosidekicks() {
    let c = config(json!({"hostport": "http://qw:7280"}));
    assert_eq!(
        (c.apiendpoint.as_str(), c.index.as_str(), c.version.as_str()),
        ("api/v1", "falco", "0.7")
    );
    assert!(!c.autocreateindex && c.http.checkcert && !c.http.mutualtls);
    assert!(serde_json::from_value::<QuickwitConfig>(json!({"hostport": "x", "nope": 1})).is_err());
}

#[test]
fn every_problem_is_reported_with_its_key() {
    let mut problems = falconer_core::Problems::default();
    config(json!({"hostport": "ftp://x", "index": "a/b", "customheaders": {"Bad Name": "v"}}))
        .validate(&mut problems);
    let keys: Vec<&str> = problems.paths().collect();
    assert_eq!(keys, ["hostport", "index", "customheaders.Bad Name"]);
}

#[test]
fn rejected_documents_in_a_2xx_answer_are_final() {
    assert!(check_answer(br#"{"num_docs_for_processing":2}"#, 2).is_ok());
    assert!(check_answer(b"", 2).is_ok());
    let answer = br#"{"num_docs_for_processing":2,"num_ingested_docs":1,"num_rejected_docs":1}"#;
    match check_answer(answer, 2) {
        Err(SendError::Rejected(m)) => assert!(m.contains("rejected 1 of 2"), "{m}"),
        other => panic!("{other:?}"),
    }
}
