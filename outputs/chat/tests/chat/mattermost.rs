//! Against the recording sink, through the real delivery core: the exact request and the
//! classification of the answers.

use crate::encoded_body;
use falconer_http::contract::{assert_classification, assert_one_post, deliver, quick, sample};
use falconer_outputs_chat::mattermost::{MattermostConfig, KIND};
use falconer_testkit::RecordingSink;
use serde_json::{json, Value};

/// The content type of every chat request.
const JSON: &str = "application/json; charset=utf-8";

fn settings(sink: &RecordingSink) -> Value {
    json!({"webhookurl": sink.url("/hooks/xx1234"), "username": "falco"})
}

fn expected(settings: Value, n: u128) -> Vec<u8> {
    let config: MattermostConfig = serde_json::from_value(settings).expect("config");
    encoded_body(&config.encoder().expect("encoder"), &sample(n))
}

#[tokio::test]
async fn one_alert_is_one_post_of_falcosidekicks_body() {
    let sink = RecordingSink::start().await;
    let got = deliver(&sink, KIND, settings(&sink), quick(1), &[sample(1)]).await;
    let r = assert_one_post(&got, "/hooks/xx1234", JSON, &expected(settings(&sink), 1));
    assert_eq!(r.header("authorization"), None, "the URL is the credential");
    assert_eq!(r.json()["username"], "falco");
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    let got = assert_classification(&sink, KIND, settings(&sink), "bad request").await;
    assert_eq!(got[0].body, expected(settings(&sink), 1));
}
