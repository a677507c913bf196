//! Against the recording sink: falcosidekick's request, the classification of answers, the
//! env variables.

use falconer_http::contract::assert_classification;
use falconer_outputs_hooks::tekton::{TektonConfig, KIND};
use falconer_testkit::RecordingSink;
use serde_json::json;

use crate::{assert_payload_post, from_env, JSON};

#[tokio::test]
async fn one_alert_is_one_post_of_the_payload_json() {
    let sink = RecordingSink::start().await;
    assert_payload_post(
        &sink,
        KIND,
        json!({"eventlistener": sink.url("/")}),
        "/",
        JSON,
    )
    .await;
}

#[tokio::test]
async fn a_503_is_retried_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    let reason = r#"{"eventListener":"falco","namespace":"tekton","errorMessage":"bad payload"}"#;
    assert_classification(&sink, KIND, json!({"eventlistener": sink.url("/")}), reason).await;
}

#[test]
fn env_variables_configure_the_block() {
    let settings = from_env(KIND, &[("TEKTON_EVENTLISTENER", "http://el-falco:8080")]);
    let c: TektonConfig = falconer_config::from_value(settings).expect("reads");
    assert_eq!(c.eventlistener, "http://el-falco:8080");
}
