//! Records, URL and validation, without a server.

use std::sync::Arc;

use falconer_core::{Alert, OutputConfig};
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use super::config::DynatraceConfig;
use super::encode::body;

fn config(v: Value) -> DynatraceConfig {
    serde_json::from_value(v).expect("valid config")
}

/// `tests/fixtures/dynatrace/batch.json`: the records of the two sample alerts. `UPDATE_GOLDEN=1`
/// rewrites it.
#[test]
fn a_batch_is_one_array_as_in_the_golden_file() {
    let batch: Vec<Arc<Alert>> = vec![enriched(CONFIGMAP_ALERT, 1), enriched(SHELL_ALERT, 2)];
    let got = body(&batch).expect("encodes");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/dynatrace/batch.json"
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &got).expect("write golden");
    }
    assert_eq!(
        String::from_utf8_lossy(&got),
        std::fs::read_to_string(path).expect("golden file")
    );
}

/// falcosidekick's own test case (`TestNewDynatracePayloadWithExtraOutputFields`), with
/// another rule name (`Test rule` is the `/test` alert) and the tags as decoded (sorted).
#[test]
fn semantic_attributes_come_from_fields_and_tags() {
    let input = r#"{"output":"This is a test from falcosidekick","priority":"Debug","rule":"Custom rule","time":"2001-01-01T01:10:00Z","source":"syscalls","hostname":"test-host","tags":["test","example","T1059","mitre_execution"],"output_fields":{"container.id":"77d156711504","container.name":"hello-world","container.image":"falcosecurity/falco:latest","k8s.ns.name":"falco","k8s.pod.name":"falco-khx2g","k8s.pod.id":null,"proc.name":"falcosidekick","span.id":1337}}"#;
    let got = body(&[enriched(input, 7)]).expect("encodes");
    let want = r#"[{"timestamp":"2001-01-01T01:10:00Z","event.id":"00000000-0000-0000-0000-000000000007","event.name":"Custom rule","event.provider":"Falco","severity":"Debug","host.name":"test-host","log.source":"syscalls","content":{"output":"This is a test from falcosidekick","output_fields":{"container.id":"77d156711504","container.image":"falcosecurity/falco:latest","container.name":"hello-world","k8s.ns.name":"falco","k8s.pod.id":null,"k8s.pod.name":"falco-khx2g","proc.name":"falcosidekick","span.id":1337},"tags":["T1059","example","mitre_execution","test"]},"mitre.technique":"T1059","mitre.tactic":"mitre_execution","container.id":"77d156711504","container.name":"hello-world","container.image.name":"falcosecurity/falco:latest","k8s.namespace.name":"falco","k8s.pod.name":"falco-khx2g","process.executable.name":"falcosidekick","span.id":"1337"}]
"#;
    assert_eq!(String::from_utf8(got).unwrap(), want);
}

#[test]
fn url_and_auth_follow_falcosidekick() {
    let c = config(
        json!({"apitoken": "dt0c01.abc", "apiurl": "https://abc123.live.dynatrace.com/api/"}),
    );
    assert_eq!(
        c.url().unwrap().as_str(),
        "https://abc123.live.dynatrace.com/api/v2/logs/ingest"
    );
    assert_eq!(c.options().headers[0].1, "Api-Token dt0c01.abc");
    assert!(c.tls.checkcert && !c.tls.mutualtls);
    assert!(!format!("{c:?}").contains("dt0c01"));
}

#[test]
fn every_problem_is_reported_with_its_key() {
    let mut problems = falconer_core::Problems::default();
    config(json!({"apitoken": "", "apiurl": "abc"})).validate(&mut problems);
    let keys: Vec<&str> = problems.paths().collect();
    assert_eq!(keys, ["apitoken", "apiurl"]);
}
