//! Conformance with falcosidekick's own tests: for every log-store kind that falcosidekick
//! tests (`outputs/<kind>_test.go`), the test's input alert and config through Falconer's
//! encoder give the payload that test expects.
//!
//! The expected payloads are transcribed in `tests/fixtures/conformance/<kind>.json`: the
//! falcosidekick file and commit, a note on how the test compares (falcosidekick compares Go
//! structs or strings; `expected` is what `encoding/json` writes, compared here with
//! Falconer's body as JSON values, or as text for line protocol), and one entry per test case
//! with its input. A case with a `differs` field documents a deliberate difference: the test
//! then asserts Falconer's exact payload (`falconer`) and that it does differ from
//! falcosidekick's, so the difference stays exactly the documented one.

use std::sync::Arc;

use falconer_core::Alert;
use serde_json::Value;

/// Where the conformance fixtures are.
const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/conformance");

/// The kinds with a falcosidekick test, hence a fixture.
const KINDS: &[&str] = &["dynatrace", "influxdb", "loki", "splunk"];

/// The fixture of `kind`, checked to say where it comes from.
fn fixture(kind: &str) -> Value {
    falconer_http::conformance::fixture(DIR, kind, &["file", "commit"], "cases")
}

/// The case's input, decoded as ingest decodes it, without ingest's enrichment:
/// falcosidekick's tests unmarshal the input and call the payload function directly.
fn input(case: &Value) -> Arc<Alert> {
    let text = case["input"]["text"].as_str().expect("the input alert");
    Arc::new(Alert::decode(text.as_bytes()).expect("the input decodes"))
}

/// Checks `got` (Falconer's payload for `case`) against the case's expectation.
fn assert_case(kind: &str, file: &str, case: &Value, got: &Value) {
    let test = case["test"].as_str().expect("the falcosidekick test");
    let expected = &case["expected"];
    assert!(
        !expected.is_null() && expected != "" && expected != &Value::Array(vec![]),
        "{kind} {test}: an expected payload"
    );
    falconer_http::conformance::assert_payload(
        &format!("{kind} {test}"),
        file,
        got,
        expected,
        case.get("differs"),
        &case["falconer"],
    );
}

/// Runs every case of `kind`'s fixture through `encode` (a JSON body) and checks it.
fn check_json(kind: &str, encode: impl Fn(&Arc<Alert>) -> Vec<u8>) {
    let f = fixture(kind);
    let file = f["falcosidekick"]["file"].as_str().expect("file");
    for case in f["cases"].as_array().expect("cases") {
        let body = encode(&input(case));
        let got: Value = serde_json::from_slice(&body).expect("a JSON body");
        assert_case(kind, file, case, &got);
    }
}

#[test]
fn every_fixture_is_checked() {
    falconer_http::conformance::assert_every_fixture_checked(DIR, KINDS);
}

#[cfg(feature = "dynatrace")]
#[test]
fn dynatrace() {
    check_json("dynatrace", |a| {
        falconer_outputs_logs::dynatrace::body(std::slice::from_ref(a)).expect("encodes")
    });
}

#[cfg(feature = "influxdb")]
#[test]
fn influxdb() {
    use falconer_outputs_logs::influxdb::{point, Precision};
    let f = fixture("influxdb");
    let file = f["falcosidekick"]["file"].as_str().expect("file");
    for case in f["cases"].as_array().expect("cases") {
        let mut line = String::new();
        point(&input(case), Precision::Ns, &mut line);
        assert_case("influxdb", file, case, &Value::String(line));
    }
}

#[cfg(feature = "loki")]
#[tokio::test]
async fn loki() {
    use falconer_http::contract::{deliver, quick};
    use falconer_testkit::RecordingSink;
    let f = fixture("loki");
    let file = f["falcosidekick"]["file"].as_str().expect("file");
    for case in f["cases"].as_array().expect("cases") {
        let sink = RecordingSink::start().await;
        let settings = serde_json::json!({"hostport": sink.url("")});
        let got = deliver(
            &sink,
            falconer_outputs_logs::loki::KIND,
            settings,
            quick(1),
            &[input(case)],
        )
        .await;
        assert_eq!(got.len(), 1, "one push");
        let body: Value = serde_json::from_slice(&got[0].decoded_body()).expect("a JSON push");
        assert_case("loki", file, case, &body);
    }
}

#[cfg(feature = "splunk")]
#[tokio::test]
async fn splunk() {
    use falconer_http::contract::{deliver, quick};
    use falconer_testkit::RecordingSink;
    let f = fixture("splunk");
    let file = f["falcosidekick"]["file"].as_str().expect("file");
    for case in f["cases"].as_array().expect("cases") {
        let sink = RecordingSink::start().await;
        let mut settings = serde_json::json!({
            "host": sink.url("/services/collector/event"),
            "token": "t0k3n",
        });
        for (k, v) in case["config"].as_object().expect("the case's config") {
            settings[k] = v.clone();
        }
        let got = deliver(
            &sink,
            falconer_outputs_logs::splunk::KIND,
            settings,
            quick(1),
            &[input(case)],
        )
        .await;
        assert_eq!(got.len(), 1, "one request");
        let body: Value = serde_json::from_slice(&got[0].decoded_body()).expect("one HEC event");
        assert_case("splunk", file, case, &body);
    }
}
