//! Body, URL, auth and answers, without a server.

use std::sync::Arc;

use falconer_core::{Alert, OutputConfig, SendError};
use falconer_http::ndjson;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::json;

use super::config::OpenObserveConfig;
use super::output::check_answer;

fn config(v: serde_json::Value) -> OpenObserveConfig {
    serde_json::from_value(v).expect("valid config")
}

/// `tests/fixtures/openobserve/multi-batch.ndjson` is what a batch of the two sample alerts sends.
/// `UPDATE_GOLDEN=1` rewrites it.
#[test]
fn a_batch_is_one_payload_line_per_alert_as_in_the_golden_file() {
    let batch: Vec<Arc<Alert>> = vec![enriched(CONFIGMAP_ALERT, 1), enriched(SHELL_ALERT, 2)];
    let got = ndjson(&batch);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/openobserve/multi-batch.ndjson"
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
fn url_and_defaults_are_falcosidekicks() {
    let c = config(json!({"hostport": "http://oo:5080/"}));
    assert_eq!(
        c.url().unwrap().as_str(),
        "http://oo:5080/api/default/falco/_multi"
    );
    assert!(
        c.options().headers.is_empty(),
        "no auth without both user and password"
    );
    let c = config(json!({"hostport": "http://oo:5080", "username": "u", "password": "p"}));
    assert_eq!(c.options().headers[0].1, "Basic dTpw");
    assert!(!format!("{c:?}").contains("\"p\""));
}

#[test]
fn every_problem_is_reported_with_its_key() {
    let mut problems = falconer_core::Problems::default();
    config(json!({"hostport": "oo:5080", "streamname": "", "organizationname": "a/b"}))
        .validate(&mut problems);
    let keys: Vec<&str> = problems.paths().collect();
    assert_eq!(keys, ["hostport", "organizationname", "streamname"]);
}

#[test]
fn failed_records_in_a_200_answer_are_final() {
    assert!(check_answer(
        br#"{"code":200,"status":[{"name":"falco","successful":2,"failed":0}]}"#,
        2
    )
    .is_ok());
    assert!(check_answer(b"not json", 2).is_ok());
    let answer = br#"{"code":200,"status":[{"name":"falco","successful":1,"failed":1,"error":"Too old data, only last 5 hours data can be ingested. Data discarded."}]}"#;
    match check_answer(answer, 2) {
        Err(SendError::Rejected(m)) => {
            assert!(
                m.contains("dropped 1 of 2") && m.contains("Too old data"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
}
