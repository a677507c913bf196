//! Against the recording sink: falcosidekick's request with both auths, the classification
//! of answers, the env variables.

use falconer_http::contract::assert_classification;
use falconer_outputs_hooks::n8n::{N8nConfig, KIND};
use falconer_testkit::RecordingSink;
use serde_json::json;

use crate::{assert_payload_post, from_env, JSON};

fn settings(sink: &RecordingSink) -> serde_json::Value {
    json!({"address": sink.url("/webhook/falco"), "user": "falco", "password": "pw",
           "headerauthname": "X-N8N-Auth", "headerauthvalue": "t0k3n"})
}

#[tokio::test]
async fn one_alert_is_one_post_with_basic_and_header_auth() {
    let sink = RecordingSink::start().await;
    let r = assert_payload_post(&sink, KIND, settings(&sink), "/webhook/falco", JSON).await;
    assert_eq!(r.header("authorization"), Some("Basic ZmFsY286cHc="));
    assert_eq!(r.header("x-n8n-auth"), Some("t0k3n"));
}

#[tokio::test]
async fn a_503_is_retried_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    let reason = r#"{"code":404,"message":"The requested webhook is not registered."}"#;
    assert_classification(&sink, KIND, settings(&sink), reason).await;
}

#[test]
fn env_variables_configure_the_block() {
    let settings = from_env(
        KIND,
        &[
            ("N8N_ADDRESS", "http://n8n:5678/webhook/falco"),
            ("N8N_USER", "falco"),
            ("N8N_PASSWORD", "pw"),
            ("N8N_HEADERAUTHNAME", "X-Auth"),
            ("N8N_HEADERAUTHVALUE", "v"),
        ],
    );
    let c: N8nConfig = falconer_config::from_value(settings).expect("reads");
    assert_eq!(c.options().headers.len(), 2);
}
