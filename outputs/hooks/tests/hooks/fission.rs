//! Against the recording sink: falcosidekick's router request with `event-id` (through
//! `hostport`), the classification of answers, the env variables.

use falconer_http::contract::{assert_classification, sample};
use falconer_outputs_hooks::fission::{FissionConfig, KIND};
use falconer_testkit::RecordingSink;
use serde_json::json;

use crate::{assert_payload_post, from_env};

fn settings(sink: &RecordingSink) -> serde_json::Value {
    json!({"function": "falco-fn", "hostport": sink.url("")})
}

#[tokio::test]
async fn one_alert_is_one_post_with_the_event_id() {
    let sink = RecordingSink::start().await;
    let r = assert_payload_post(
        &sink,
        KIND,
        settings(&sink),
        "/fission-function/falco-fn",
        "application/json",
    )
    .await;
    assert_eq!(r.header("event-id"), Some(sample(1).uuid.as_str()));
}

#[tokio::test]
async fn a_503_is_retried_with_the_same_event_id_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    let got = assert_classification(&sink, KIND, settings(&sink), "function not found").await;
    assert_eq!(got[0].header("event-id"), got[2].header("event-id"));
    assert_ne!(got[0].header("event-id"), got[3].header("event-id"));
}

#[test]
fn env_variables_configure_the_block() {
    let settings = from_env(
        KIND,
        &[("FISSION_FUNCTION", "f"), ("FISSION_ROUTERPORT", "8888")],
    );
    let c: FissionConfig = falconer_config::from_value(settings).expect("reads");
    assert_eq!(
        c.url(),
        "http://router.fission.svc.cluster.local:8888/fission-function/f"
    );
}
