//! Against the recording sink: the request falcosidekick sends (one alert), a batch (an
//! array), the shared classification and batch counts through the delivery core.

use falconer_http::contract::{assert_batch_count, assert_classification, deliver, quick, sample};
use falconer_testkit::RecordingSink;
use serde_json::json;

const KIND: falconer_core::OutputKind = falconer_outputs_logs::datadoglogs::KIND;

fn settings(sink: &RecordingSink) -> serde_json::Value {
    json!({"apikey": "0123456789abcdef", "host": sink.url("/"), "service": "falco"})
}

#[tokio::test]
async fn one_alert_is_falcosidekicks_request_byte_for_byte() {
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
        ("POST", "/api/v2/logs")
    );
    assert_eq!(r.query, None);
    assert_eq!(r.header("dd-api-key"), Some("0123456789abcdef"));
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let want = falconer_outputs_logs::datadoglogs::body(&[alert], "falco").expect("encodes");
    assert_eq!(r.body.as_ref(), want.as_slice());
    assert!(
        r.text().starts_with(r#"{"ddsource":"falco","#),
        "a single object"
    );
}

#[tokio::test]
async fn a_batch_is_one_request_with_an_array_of_entries() {
    let sink = RecordingSink::start().await;
    let alerts: Vec<_> = (0..3).map(sample).collect();
    let got = deliver(&sink, KIND, settings(&sink), quick(10), &alerts).await;
    assert_eq!(got.len(), 1);
    let want = falconer_outputs_logs::datadoglogs::body(&alerts, "falco").expect("encodes");
    assert_eq!(got[0].body.as_ref(), want.as_slice());
    assert_eq!(got[0].json().as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_bad_request_is_final() {
    let sink = RecordingSink::start().await;
    let reason = r#"{"errors":[{"status":"403","title":"Forbidden","detail":"Forbidden"}]}"#;
    assert_classification(&sink, KIND, settings(&sink), reason).await;
}

#[tokio::test]
async fn twenty_five_alerts_in_batches_of_ten_make_three_requests() {
    let sink = RecordingSink::start().await;
    let got = assert_batch_count(&sink, KIND, settings(&sink), 25, 10).await;
    let sizes: Vec<usize> = got
        .iter()
        .map(|r| r.json().as_array().map_or(1, Vec::len))
        .collect();
    assert_eq!(sizes, [10, 10, 5]);
}
