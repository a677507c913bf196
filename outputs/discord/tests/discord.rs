//! Against the recording sink, through the real delivery core: the exact request, and
//! Discord's 429 whose wait is only in the JSON answer.

use std::time::Duration;

use falconer_output_chat_common::Encode;
use falconer_output_discord::{DiscordConfig, KIND};
use falconer_output_httpstore::contract::{
    assert_classification, deliver, launch, quick, sample, WAIT,
};
use falconer_testkit::{RecordingSink, Reply};
use serde_json::{json, Value};

fn settings(sink: &RecordingSink) -> Value {
    json!({"webhookurl": sink.url("/api/webhooks/123/tok-en?wait=true")})
}

fn expected(settings: Value, n: u128) -> Vec<u8> {
    let config: DiscordConfig = serde_json::from_value(settings).expect("config");
    config.encoder().encode(&sample(n)).expect("encodes").body
}

#[tokio::test]
async fn one_alert_is_one_post_of_falcosidekicks_body() {
    let sink = RecordingSink::start().await;
    let got = deliver(&sink, KIND, settings(&sink), quick(1), &[sample(1)]).await;
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/api/webhooks/123/tok-en")
    );
    assert_eq!(r.query.as_deref(), Some("wait=true"));
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(r.body, expected(settings(&sink), 1));
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
