//! Against the recording sink: falcosidekick's gateway request (through `hostport`), the
//! classification of answers, the env variables.

use falconer_http::contract::assert_classification;
use falconer_outputs_hooks::openfaas::{OpenfaasConfig, KIND};
use falconer_testkit::RecordingSink;
use serde_json::json;

use crate::{assert_payload_post, from_env, JSON};

fn settings(sink: &RecordingSink) -> serde_json::Value {
    json!({"functionname": "falco-responder", "hostport": sink.url("")})
}

#[tokio::test]
async fn one_alert_is_one_post_to_the_function_on_the_gateway() {
    let sink = RecordingSink::start().await;
    let r = assert_payload_post(
        &sink,
        KIND,
        settings(&sink),
        "/function/falco-responder.openfaas-fn",
        JSON,
    )
    .await;
    assert!(r.header("event-id").is_none());
}

#[tokio::test]
async fn a_503_is_retried_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    assert_classification(
        &sink,
        KIND,
        settings(&sink),
        "function failed to parse input",
    )
    .await;
}

#[test]
fn env_variables_configure_the_block() {
    let settings = from_env(
        KIND,
        &[
            ("OPENFAAS_FUNCTIONNAME", "f"),
            ("OPENFAAS_GATEWAYPORT", "31112"),
            ("OPENFAAS_GATEWAYNAMESPACE", "faas"),
        ],
    );
    let c: OpenfaasConfig = falconer_config::from_value(settings).expect("reads");
    assert_eq!(c.url(), "http://gateway.faas:31112/function/f.openfaas-fn");
}
