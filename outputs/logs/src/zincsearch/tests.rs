//! Bodies, URLs and validation, without a server.

use std::sync::Arc;

use falconer_core::{Alert, OutputConfig};
use falconer_http::ndjson;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::json;

use super::config::ZincSearchConfig;

fn config(v: serde_json::Value) -> ZincSearchConfig {
    serde_json::from_value(v).expect("valid config")
}

/// `tests/fixtures/zincsearch/multi-batch.ndjson` is the `_multi` body of a batch of the two sample
/// alerts. `UPDATE_GOLDEN=1` rewrites it.
#[test]
fn a_batch_is_one_document_per_line_as_in_the_golden_file() {
    let batch: Vec<Arc<Alert>> = vec![enriched(CONFIGMAP_ALERT, 1), enriched(SHELL_ALERT, 2)];
    let got = ndjson(&batch);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/zincsearch/multi-batch.ndjson"
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
fn urls_auth_and_defaults_are_falcosidekicks() {
    let c = config(json!({"hostport": "http://zinc:4080/"}));
    assert_eq!(
        c.url("_doc").unwrap().as_str(),
        "http://zinc:4080/api/falco/_doc"
    );
    assert!(c.tls.checkcert && !c.tls.mutualtls);
    assert!(c.options().headers.is_empty());
    let c = config(json!({"hostport": "http://zinc:4080", "username": "admin", "password": "pw"}));
    assert_eq!(c.options().headers[0].1, "Basic YWRtaW46cHc=");
    assert!(!format!("{c:?}").contains("pw"));
}

#[test]
fn every_problem_is_reported_with_its_key() {
    let mut problems = falconer_core::Problems::default();
    config(json!({"hostport": "", "index": "a?b"})).validate(&mut problems);
    let keys: Vec<&str> = problems.paths().collect();
    assert_eq!(keys, ["hostport", "index"]);
}
