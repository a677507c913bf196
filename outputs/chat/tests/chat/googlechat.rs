//! Against the recording sink, through the real delivery core: the exact request (the
//! webhook's `key` and `token` query kept) and the classification of the answers.

use crate::encoded_body;
use falconer_http::contract::{assert_classification, assert_one_post, deliver, quick, sample};
use falconer_outputs_chat::googlechat::{GooglechatConfig, KIND};
use falconer_testkit::RecordingSink;
use serde_json::{json, Value};

/// The content type of every chat request.
const JSON: &str = "application/json; charset=utf-8";

fn settings(sink: &RecordingSink) -> Value {
    json!({"webhookurl": sink.url("/v1/spaces/AAAA/messages?key=KEY&token=TOKEN"),
           "messageformat": "{{ .Rule }}"})
}

fn expected(settings: Value, n: u128) -> Vec<u8> {
    let config: GooglechatConfig = serde_json::from_value(settings).expect("config");
    encoded_body(&config.encoder().expect("encoder"), &sample(n))
}

#[tokio::test]
async fn one_alert_is_one_post_of_falcosidekicks_body() {
    let sink = RecordingSink::start().await;
    let got = deliver(&sink, KIND, settings(&sink), quick(1), &[sample(1)]).await;
    assert_one_post(
        &got,
        "/v1/spaces/AAAA/messages?key=KEY&token=TOKEN",
        JSON,
        &expected(settings(&sink), 1),
    );
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    let reason =
        r#"{"error":{"code":400,"message":"Invalid JSON payload","status":"INVALID_ARGUMENT"}}"#;
    assert_classification(&sink, KIND, settings(&sink), reason).await;
}
