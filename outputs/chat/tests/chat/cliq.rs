//! Against the recording sink, through the real delivery core: the exact request (plain
//! `application/json`, the webhook's `zapikey` kept), the classification of the answers, the
//! env variables.

use crate::{encoded_body, from_env};
use falconer_http::contract::{assert_classification, assert_one_post, deliver, quick, sample};
use falconer_outputs_chat::cliq::{CliqConfig, KIND};
use falconer_testkit::RecordingSink;
use serde_json::{json, Value};

fn settings(sink: &RecordingSink) -> Value {
    json!({"webhookurl": sink.url("/api/v2/channelsbyname/falco/message?zapikey=KEY"),
           "useemoji": true, "messageformat": "{{ .Rule }}"})
}

#[tokio::test]
async fn one_alert_is_one_post_of_falcosidekicks_body() {
    let sink = RecordingSink::start().await;
    let got = deliver(&sink, KIND, settings(&sink), quick(1), &[sample(1)]).await;
    let config: CliqConfig = serde_json::from_value(settings(&sink)).expect("config");
    let want = encoded_body(&config.encoder().expect("encoder"), &sample(1));
    assert_one_post(
        &got,
        "/api/v2/channelsbyname/falco/message?zapikey=KEY",
        "application/json",
        &want,
    );
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    let reason = r#"{"code":"invalid_message","message":"Message content is invalid."}"#;
    assert_classification(&sink, KIND, settings(&sink), reason).await;
}

#[test]
fn env_variables_configure_the_block() {
    let settings = from_env(
        KIND,
        &[
            (
                "CLIQ_WEBHOOKURL",
                "https://cliq.zoho.com/api/v2/bots/falco/incoming?zapikey=K",
            ),
            ("CLIQ_USEEMOJI", "true"),
            ("CLIQ_OUTPUTFORMAT", "fields"),
        ],
    );
    let c: CliqConfig = falconer_config::from_value(settings).expect("reads");
    assert!(c.useemoji);
    assert_eq!(
        c.outputformat.get(),
        falconer_outputs_chat::cliq::CliqShown::Fields
    );
}
