//! Golden bodies, the answer's record errors, validation.

use std::sync::Arc;

use falconer_core::{Alert, Retry};
use falconer_http::contract::assert_rejected;
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::json;

use super::output::failed_records;
use super::{content_type, records, KafkaRestConfig, KIND};

/// `tests/fixtures/kafkarest`; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/kafkarest");

#[test]
fn bodies_are_falcosidekicks_records() {
    let one: Vec<Arc<Alert>> = vec![enriched(SHELL_ALERT, 1)];
    assert_golden(FIXTURES, "single.json", records(&one).expect("encodes"));
    let two: Vec<Arc<Alert>> = vec![enriched(CONFIGMAP_ALERT, 2), enriched(SHELL_ALERT, 3)];
    let body = records(&two).expect("encodes");
    assert_golden(FIXTURES, "batch.json", &body);
    let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    use base64::Engine as _;
    let value = base64::engine::general_purpose::STANDARD
        .decode(v["records"][1]["value"].as_str().expect("value"))
        .expect("base64");
    assert_eq!(value, two[1].json_bytes().to_vec());
    assert_eq!(content_type(2), "application/vnd.kafka.binary.v2+json");
}

#[test]
fn record_errors_fail_their_alert_only() {
    let answer = br#"{"key_schema_id":null,"value_schema_id":null,"offsets":[
        {"partition":0,"offset":41,"error_code":null,"error":null},
        {"partition":null,"offset":null,"error_code":2,"error":"Leader not available"},
        {"partition":null,"offset":null,"error_code":1,"error":"Record too large"}]}"#;
    let failed = failed_records(answer);
    let got: Vec<(usize, Retry)> = failed.iter().map(|(i, e)| (*i, e.retry())).collect();
    assert_eq!(got, [(1, Retry::Backoff), (2, Retry::Never)]);
    assert!(failed[1].1.to_string().contains("Record too large"));
    assert!(failed_records(b"{}").is_empty());
    assert!(failed_records(b"not json").is_empty());
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let c: KafkaRestConfig =
        serde_json::from_value(json!({"address": "http://proxy:8082/topics/falco"}))
            .expect("config");
    assert_eq!(c.version, 2);
    let text = assert_rejected(
        KIND,
        "kafkarest",
        json!({"address": "proxy:8082", "version": 3}),
        &["address", "version"],
    );
    assert!(text.contains("not 1 or 2"), "{text}");
}
