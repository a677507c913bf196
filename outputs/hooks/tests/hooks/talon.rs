//! Against the recording sink: falcosidekick's request, the classification of answers, the
//! env variables.

use falconer_http::contract::assert_classification;
use falconer_outputs_hooks::talon::{TalonConfig, KIND};
use falconer_testkit::RecordingSink;
use serde_json::json;

use crate::{assert_payload_post, from_env, JSON};

#[tokio::test]
async fn one_alert_is_one_post_of_the_payload_json() {
    let sink = RecordingSink::start().await;
    let r = assert_payload_post(&sink, KIND, json!({"address": sink.url("/")}), "/", JSON).await;
    assert!(r.header("authorization").is_none());
}

#[tokio::test]
async fn a_503_is_retried_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    assert_classification(
        &sink,
        KIND,
        json!({"address": sink.url("/")}),
        "no rule matched",
    )
    .await;
}

#[test]
fn env_variables_configure_the_block() {
    let settings = from_env(
        KIND,
        &[
            ("TALON_ADDRESS", "http://talon:2803"),
            ("TALON_CHECKCERT", "false"),
        ],
    );
    let c: TalonConfig = falconer_config::from_value(settings).expect("reads");
    assert_eq!(c.address, "http://talon:2803");
    assert!(!c.tls.checkcert);
}
