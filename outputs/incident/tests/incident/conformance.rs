//! Conformance with falcosidekick's own tests: for every incident kind that falcosidekick
//! tests (`outputs/<kind>_test.go`), the test's input alert and config through Falconer's
//! encoder give the payload that test expects.
//!
//! The expected payloads are transcribed in `tests/fixtures/conformance/<kind>.json`: the
//! falcosidekick file and commit, a note on how the test compares (falcosidekick compares Go
//! structs; `expected` is the struct as `encoding/json` writes it, compared here with
//! Falconer's body as JSON values), and one entry per test case with its input (and its own
//! `file` and `commit` where they are not the fixture's). A case with a `differs` field
//! documents a deliberate difference, one with `mismatch` a known difference not documented
//! as deliberate, one with `superseded` an older falcosidekick statement that a newer case
//! replaces: the test then asserts Falconer's exact payload (`falconer`) and that it does
//! differ from that expectation, so the difference stays exactly the documented one.

use std::sync::Arc;

use falconer_core::Alert;
use serde_json::Value;

/// Where the conformance fixtures are.
const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/conformance");

/// The kinds with a falcosidekick test, hence a fixture.
const KINDS: &[&str] = &["alertmanager", "datadog", "opsgenie", "pagerduty"];

/// The fixture of `kind`, checked to say where it comes from.
fn fixture(kind: &str) -> Value {
    falconer_http::conformance::fixture(DIR, kind, &["file", "commit"], "cases")
}

/// Runs every case of `kind`'s fixture through `encode` and checks the payload.
fn check(kind: &str, encode: impl Fn(&Arc<Alert>) -> Vec<u8>) {
    let f = fixture(kind);
    for case in f["cases"].as_array().expect("cases") {
        let test = case["test"].as_str().expect("the falcosidekick test");
        let file = case["file"]
            .as_str()
            .or(f["falcosidekick"]["file"].as_str())
            .expect("file");
        let text = case["input"]["text"].as_str().expect("the input alert");
        // Decoded as ingest decodes it, without ingest's enrichment: falcosidekick's tests
        // unmarshal the input and call the payload function directly.
        let alert = Arc::new(Alert::decode(text.as_bytes()).expect("the input decodes"));
        let body = encode(&alert);
        let got: Value = serde_json::from_slice(&body).expect("a JSON body");
        let expected = &case["expected"];
        assert!(
            expected.is_object() || expected.as_array().is_some_and(|a| !a.is_empty()),
            "{kind} {test}: an expected payload"
        );
        let reason = case
            .get("differs")
            .or_else(|| case.get("mismatch"))
            .or_else(|| case.get("superseded"));
        falconer_http::conformance::assert_payload(
            &format!("{kind} {test}"),
            file,
            &got,
            expected,
            reason,
            &case["falconer"],
        );
    }
}

#[test]
fn every_fixture_is_checked() {
    falconer_http::conformance::assert_every_fixture_checked(DIR, KINDS);
}

#[cfg(feature = "alertmanager")]
#[test]
fn alertmanager() {
    use falconer_outputs_incident::alertmanager::AlertmanagerConfig;
    // falcosidekick's tests: DropEventDefaultPriority critical and defaultThresholds, which
    // are Falconer's defaults (asserted here rather than assumed).
    let config: AlertmanagerConfig =
        serde_json::from_value(serde_json::json!({"hostport": ["http://localhost:9093"]}))
            .expect("config");
    assert_eq!(
        config.dropeventthresholds,
        falconer_outputs_incident::alertmanager::DEFAULT_DROP_THRESHOLDS
    );
    let explicit: AlertmanagerConfig = serde_json::from_value(serde_json::json!({
        "hostport": ["http://localhost:9093"],
        "dropeventdefaultpriority": "critical",
        "dropeventthresholds": "10000:critical, 1000:critical, 100:critical, 10:warning, 1:warning",
    }))
    .expect("config");
    let encoder = explicit.encoder().expect("encoder");
    check("alertmanager", |a| {
        encoder.body(std::slice::from_ref(a)).expect("encodes")
    });
}

#[cfg(feature = "opsgenie")]
#[test]
fn opsgenie() {
    check("opsgenie", |a| {
        falconer_outputs_incident::opsgenie::body(a).expect("encodes")
    });
}

#[cfg(feature = "datadog")]
#[test]
fn datadog() {
    check("datadog", |a| {
        falconer_outputs_incident::datadog::body(a).expect("encodes")
    });
}

#[cfg(feature = "pagerduty")]
#[test]
fn pagerduty() {
    use falconer_outputs_incident::pagerduty::PagerDutyConfig;
    // PagerdutyConfig{}: no routing key, no dedup key.
    let config: PagerDutyConfig =
        serde_json::from_value(serde_json::json!({"routingkey": ""})).expect("config");
    let encoder = config.encoder().expect("encoder");
    check("pagerduty", |a| encoder.body(a).expect("encodes"));
}
