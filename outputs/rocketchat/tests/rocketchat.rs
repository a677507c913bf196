//! Against the recording sink, through the real delivery core: the exact request and the
//! classification of the answers.

use falconer_output_chat_common::Encode;
use falconer_output_httpstore::contract::{assert_classification, deliver, quick, sample};
use falconer_output_rocketchat::{RocketchatConfig, KIND};
use falconer_testkit::RecordingSink;
use serde_json::{json, Value};

fn settings(sink: &RecordingSink) -> Value {
    json!({"webhookurl": sink.url("/hooks/xx1234"), "username": "falco"})
}

fn expected(settings: Value, n: u128) -> Vec<u8> {
    let config: RocketchatConfig = serde_json::from_value(settings).expect("config");
    config
        .encoder()
        .expect("encoder")
        .encode(&sample(n))
        .expect("encodes")
        .body
}

#[tokio::test]
async fn one_alert_is_one_post_of_falcosidekicks_body() {
    let sink = RecordingSink::start().await;
    let got = deliver(&sink, KIND, settings(&sink), quick(1), &[sample(1)]).await;
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/hooks/xx1234")
    );
    assert_eq!(r.query, None);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(r.header("authorization"), None, "the URL is the credential");
    assert_eq!(r.body, expected(settings(&sink), 1));
    assert_eq!(r.json()["username"], "falco");
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    let got = assert_classification(&sink, KIND, settings(&sink), "bad request").await;
    assert_eq!(got[0].body, expected(settings(&sink), 1));
}
