//! Against the recording sink: the request falcosidekick sends (one alert, `_doc`), a batch
//! (`_multi`), the shared classification and batch counts through the delivery core.

use falconer_http::contract::{
    assert_batch_count, assert_classification, deliver, ndjson, quick, sample,
};
use falconer_testkit::RecordingSink;
use serde_json::json;

const KIND: falconer_core::OutputKind = falconer_outputs_logs::zincsearch::KIND;

fn settings(sink: &RecordingSink) -> serde_json::Value {
    json!({"hostport": sink.url(""), "index": "falco", "username": "admin", "password": "Complexpass#123"})
}

#[tokio::test]
async fn one_alert_is_falcosidekicks_doc_request_byte_for_byte() {
    let sink = RecordingSink::start().await;
    let alert = sample(1);
    let got = deliver(
        &sink,
        KIND,
        settings(&sink),
        quick(100),
        std::slice::from_ref(&alert),
    )
    .await;
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/api/falco/_doc")
    );
    assert_eq!(r.query, None);
    assert_eq!(
        r.header("authorization"),
        Some("Basic YWRtaW46Q29tcGxleHBhc3MjMTIz")
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let want = ndjson(std::slice::from_ref(&alert));
    assert_eq!(r.body.as_ref(), want.as_slice());
}

#[tokio::test]
async fn a_batch_goes_to_multi_one_document_per_line() {
    let sink = RecordingSink::start().await;
    let alerts: Vec<_> = (0..3).map(sample).collect();
    let got = deliver(&sink, KIND, settings(&sink), quick(10), &alerts).await;
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/api/falco/_multi")
    );
    assert_eq!(
        r.header("authorization"),
        Some("Basic YWRtaW46Q29tcGxleHBhc3MjMTIz")
    );
    let want = ndjson(&alerts);
    assert_eq!(r.body.as_ref(), want.as_slice());
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_bad_request_is_final() {
    let sink = RecordingSink::start().await;
    let reason = r#"{"error":"id should be string"}"#;
    assert_classification(&sink, KIND, settings(&sink), reason).await;
}

#[tokio::test]
async fn twenty_five_alerts_in_batches_of_ten_make_three_requests() {
    let sink = RecordingSink::start().await;
    let got = assert_batch_count(&sink, KIND, settings(&sink), 25, 10).await;
    let lines: Vec<usize> = got.iter().map(|r| r.text().lines().count()).collect();
    assert_eq!(lines, [10, 10, 5]);
    assert!(got.iter().all(|r| r.path == "/api/falco/_multi"));
}
