//! Against the recording sink, through the real delivery core: the exact `sendMessage`
//! request (token in the path), the shared classification, and Telegram's 429 whose wait is
//! only in the JSON answer.

use std::time::Duration;

use falconer_http::contract::{assert_classification, deliver, launch, quick, sample, WAIT};
use falconer_outputs_chat::common::Encode;
use falconer_outputs_chat::telegram::{TelegramConfig, KIND};
use falconer_testkit::{RecordingSink, Reply};
use serde_json::{json, Value};

fn settings(sink: &RecordingSink) -> Value {
    json!({"host": sink.url(""), "token": "123456:ABC-DEF", "chatid": "-100123"})
}

#[tokio::test]
async fn one_alert_is_one_send_message_call() {
    let sink = RecordingSink::start().await;
    let got = deliver(&sink, KIND, settings(&sink), quick(1), &[sample(1)]).await;
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/bot123456:ABC-DEF/sendMessage")
    );
    assert_eq!(r.query, None);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let config: TelegramConfig = serde_json::from_value(settings(&sink)).expect("config");
    assert_eq!(
        r.body,
        config.encoder().encode(&sample(1)).expect("encodes").body
    );
    assert_eq!(r.json()["chat_id"], "-100123");
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    let reason =
        r#"{"ok":false,"error_code":400,"description":"Bad Request: can't parse entities"}"#;
    assert_classification(&sink, KIND, settings(&sink), reason).await;
}

#[tokio::test]
async fn the_retry_after_of_the_json_answer_is_honoured() {
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(429).body(
        r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}"#,
    )]);
    let env = launch(KIND, settings(&sink), quick(1)).await;
    env.dispatcher.dispatch(sample(1)).await;
    env.dispatcher.shutdown(WAIT).await;
    let got = sink.requests();
    assert_eq!(got.len(), 2);
    assert!(got[1].received_at.duration_since(got[0].received_at) >= Duration::from_secs(1));
    assert!(env.dead_letters().is_empty());
}
