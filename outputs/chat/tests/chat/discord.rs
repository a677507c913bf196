//! Against the recording sink, through the real delivery core: the exact request, and
//! Discord's 429 whose wait is only in the JSON answer.

use std::time::Duration;

use crate::encoded_body;
use falconer_http::contract::{
    assert_classification, assert_one_post, deliver, launch, quick, sample, WAIT,
};
use falconer_outputs_chat::discord::{DiscordConfig, KIND};
use falconer_testkit::{RecordingSink, Reply};
use serde_json::{json, Value};

/// The content type of every chat request.
const JSON: &str = "application/json; charset=utf-8";

fn settings(sink: &RecordingSink) -> Value {
    json!({"webhookurl": sink.url("/api/webhooks/123/tok-en?wait=true")})
}

fn expected(settings: Value, n: u128) -> Vec<u8> {
    let config: DiscordConfig = serde_json::from_value(settings).expect("config");
    encoded_body(&config.encoder(), &sample(n))
}

#[tokio::test]
async fn one_alert_is_one_post_of_falcosidekicks_body() {
    let sink = RecordingSink::start().await;
    let got = deliver(&sink, KIND, settings(&sink), quick(1), &[sample(1)]).await;
    assert_one_post(
        &got,
        "/api/webhooks/123/tok-en?wait=true",
        JSON,
        &expected(settings(&sink), 1),
    );
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    let reason = r#"{"message": "Invalid Form Body", "code": 50035}"#;
    assert_classification(&sink, KIND, settings(&sink), reason).await;
}

#[tokio::test]
async fn the_retry_after_of_the_json_answer_is_honoured() {
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(429)
        .header("content-type", "application/json")
        .body(
            r#"{"message": "You are being rate limited.", "retry_after": 0.9, "global": false}"#,
        )]);
    let env = launch(KIND, settings(&sink), quick(1)).await;
    env.dispatcher.dispatch(sample(1)).await;
    env.dispatcher.shutdown(WAIT).await;
    let got = sink.requests();
    assert_eq!(got.len(), 2);
    assert!(got[1].received_at.duration_since(got[0].received_at) >= Duration::from_secs(1));
    assert!(env.dead_letters().is_empty());
}
