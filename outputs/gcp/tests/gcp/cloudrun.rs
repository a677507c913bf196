//! Cloud Run: the payload JSON with the bearer JWT, one request per alert, classification.

use falconer_http::contract::{assert_classification, assert_one_post, deliver, quick, sample};
use falconer_outputs_gcp::cloudrun::KIND;
use falconer_testkit::RecordingSink;
use serde_json::json;

#[tokio::test]
async fn the_payload_json_goes_with_the_bearer_jwt() {
    let sink = RecordingSink::start().await;
    let alert = sample(1);
    let settings = json!({"endpoint": sink.url("/falco"), "jwt": "eyJhbGciOi.test.jwt"});
    let got = deliver(
        &sink,
        KIND,
        settings,
        quick(1),
        std::slice::from_ref(&alert),
    )
    .await;
    let r = assert_one_post(
        &got,
        "/falco",
        "application/json; charset=utf-8",
        alert.to_json(),
    );
    assert_eq!(
        r.header("authorization"),
        Some("Bearer eyJhbGciOi.test.jwt")
    );
}

#[tokio::test]
async fn two_alerts_are_two_requests() {
    let sink = RecordingSink::start().await;
    let alerts = [sample(1), sample(2)];
    let settings = json!({"endpoint": sink.url("/falco")});
    let got = deliver(&sink, KIND, settings, quick(10), &alerts).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].body, alerts[0].to_json());
    assert_eq!(got[1].body, alerts[1].to_json());
    assert_eq!(got[0].header("authorization"), None, "no jwt, no header");
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_bad_request_is_final() {
    let sink = RecordingSink::start().await;
    let settings = json!({"endpoint": sink.url("/falco"), "jwt": "j"});
    assert_classification(&sink, KIND, settings, "bad alert").await;
}
