//! Against the recording sink, through the real delivery core: the exact request and the
//! classification of the answers.

use falconer_http::contract::{assert_classification, deliver, quick, sample};
use falconer_outputs_chat::common::Encode;
use falconer_outputs_chat::webex::{WebexEncoder, KIND};
use falconer_testkit::RecordingSink;
use serde_json::json;

#[tokio::test]
async fn one_alert_is_one_post_of_falcosidekicks_body() {
    let sink = RecordingSink::start().await;
    let settings = json!({"webhookurl": sink.url("/v1/webhooks/incoming/Y2lzY29zcGFyazovL3Vz")});
    let got = deliver(&sink, KIND, settings, quick(1), &[sample(1)]).await;
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v1/webhooks/incoming/Y2lzY29zcGFyazovL3Vz")
    );
    assert_eq!(r.query, None);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        r.body,
        WebexEncoder.encode(&sample(1)).expect("encodes").body
    );
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    let settings = json!({"webhookurl": sink.url("/v1/webhooks/incoming/x")});
    assert_classification(&sink, KIND, settings, r#"{"message":"Bad Request"}"#).await;
}
