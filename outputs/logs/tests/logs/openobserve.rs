//! Against the recording sink: the request falcosidekick sends (one alert), a batch, the
//! shared classification, dropped records, and batch counts through the delivery core.

use falconer_http::contract::{
    assert_batch_count, assert_classification, deliver, launch, ndjson, quick, sample, WAIT,
};
use falconer_testkit::{RecordingSink, Reply};
use serde_json::json;

const KIND: falconer_core::OutputKind = falconer_outputs_logs::openobserve::KIND;

fn settings(sink: &RecordingSink) -> serde_json::Value {
    json!({
        "hostport": sink.url(""), "organizationname": "secops", "streamname": "falco",
        "username": "root@example.com", "password": "Complexpass#123",
        "customheaders": {"X-Team": "blue"},
    })
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
        ("POST", "/api/secops/falco/_multi")
    );
    assert_eq!(r.query, None);
    assert_eq!(
        r.header("authorization"),
        Some("Basic cm9vdEBleGFtcGxlLmNvbTpDb21wbGV4cGFzcyMxMjM=")
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(r.header("x-team"), Some("blue"));
    let want = ndjson(std::slice::from_ref(&alert));
    assert_eq!(r.body.as_ref(), want.as_slice());
}

#[tokio::test]
async fn a_batch_is_one_request_with_a_record_per_line() {
    let sink = RecordingSink::start().await;
    let alerts: Vec<_> = (0..3).map(sample).collect();
    let got = deliver(&sink, KIND, settings(&sink), quick(10), &alerts).await;
    assert_eq!(got.len(), 1);
    let want = ndjson(&alerts);
    assert_eq!(got[0].body.as_ref(), want.as_slice());
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_bad_request_is_final() {
    let sink = RecordingSink::start().await;
    let reason = r#"{"code":400,"message":"Invalid organization"}"#;
    assert_classification(&sink, KIND, settings(&sink), reason).await;
}

#[tokio::test]
async fn records_dropped_in_a_200_answer_become_dead_letters() {
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(200).body(
        r#"{"code":200,"status":[{"name":"falco","successful":0,"failed":1,"error":"Too old data"}]}"#,
    )]);
    let env = launch(KIND, settings(&sink), quick(1)).await;
    env.dispatcher.dispatch(sample(1)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(sink.requests().len(), 1, "not retried");
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert!(
        letters[0].meta.error.contains("Too old data"),
        "{}",
        letters[0].meta.error
    );
}

#[tokio::test]
async fn twenty_five_alerts_in_batches_of_ten_make_three_requests() {
    let sink = RecordingSink::start().await;
    let got = assert_batch_count(&sink, KIND, settings(&sink), 25, 10).await;
    let lines: Vec<usize> = got.iter().map(|r| r.text().lines().count()).collect();
    assert_eq!(lines, [10, 10, 5]);
}
