//! Against the recording sink, through the real delivery core: the exact request, Slack's
//! 429 with `Retry-After`, and truncations counted.

use crate::encoded_body;
use falconer_http::contract::{
    assert_classification, assert_one_post, deliver, launch, quick, sample, WAIT,
};
use falconer_outputs_chat::slack::{SlackConfig, KIND};
use falconer_testkit::RecordingSink;
use serde_json::{json, Value};

/// The content type of every chat request.
const JSON: &str = "application/json; charset=utf-8";

fn settings(sink: &RecordingSink) -> Value {
    json!({"webhookurl": sink.url("/services/T000/B000/XXXX?x=1"), "channel": "#falco"})
}

fn expected(settings: Value, n: u128) -> Vec<u8> {
    let config: SlackConfig = serde_json::from_value(settings).expect("config");
    encoded_body(&config.encoder().expect("encoder"), &sample(n))
}

#[tokio::test]
async fn one_alert_is_one_post_of_falcosidekicks_body() {
    let sink = RecordingSink::start().await;
    let got = deliver(&sink, KIND, settings(&sink), quick(1), &[sample(1)]).await;
    let r = assert_one_post(
        &got,
        "/services/T000/B000/XXXX?x=1",
        JSON,
        &expected(settings(&sink), 1),
    );
    assert_eq!(r.header("authorization"), None, "the URL is the credential");
    assert_eq!(r.json()["channel"], "#falco");
}

#[tokio::test]
async fn blocks_are_posted_the_same_way() {
    let sink = RecordingSink::start().await;
    let mut s = settings(&sink);
    s["format"] = "blocks".into();
    let got = deliver(&sink, KIND, s.clone(), quick(1), &[sample(2)]).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, expected(s, 2));
    assert_eq!(
        got[0].json()["attachments"][0]["blocks"][0]["type"],
        "header"
    );
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    let got = assert_classification(&sink, KIND, settings(&sink), "invalid_payload").await;
    assert_eq!(got[0].body, expected(settings(&sink), 1));
}

#[tokio::test]
async fn truncated_messages_are_counted() {
    let sink = RecordingSink::start().await;
    let mut alert: Value = serde_json::from_str(falconer_testkit::SHELL_ALERT).expect("JSON");
    alert["output"] = "z".repeat(5_000).into();
    let long = falconer_testkit::enriched(&alert.to_string(), 3);
    let env = launch(KIND, settings(&sink), quick(1)).await;
    env.dispatcher.dispatch(long).await;
    env.dispatcher.dispatch(sample(4)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(sink.requests().len(), 2);
    assert_eq!(
        env.metric(r#"falconer_output_truncations_total{kind="slack",output="slack"}"#),
        1.0
    );
    let text = sink.requests()[0].json()["attachments"][0]["text"].clone();
    assert!(text.as_str().expect("text").ends_with("… [truncated]"));
}
