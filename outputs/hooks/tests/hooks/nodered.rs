//! Against the recording sink: falcosidekick's request with basic auth and custom headers,
//! the classification of answers, the env variables.

use falconer_http::contract::assert_classification;
use falconer_outputs_hooks::nodered::{NoderedConfig, KIND};
use falconer_testkit::RecordingSink;
use serde_json::json;

use crate::{assert_payload_post, from_env, JSON};

fn settings(sink: &RecordingSink) -> serde_json::Value {
    json!({"address": sink.url("/falco"), "user": "admin", "password": "s3cr3t",
           "customheaders": {"X-Flow": "secops"}})
}

#[tokio::test]
async fn one_alert_is_one_post_with_basic_auth_and_custom_headers() {
    let sink = RecordingSink::start().await;
    let r = assert_payload_post(&sink, KIND, settings(&sink), "/falco", JSON).await;
    assert_eq!(r.header("authorization"), Some("Basic YWRtaW46czNjcjN0"));
    assert_eq!(r.header("x-flow"), Some("secops"));
}

#[tokio::test]
async fn a_503_is_retried_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    assert_classification(&sink, KIND, settings(&sink), "flow refused the message").await;
}

#[test]
fn env_variables_configure_the_block() {
    let settings = from_env(
        KIND,
        &[
            ("NODERED_ADDRESS", "http://nodered:1880/falco"),
            ("NODERED_CUSTOMHEADERS", "X-A:1,X-B:2"),
        ],
    );
    let c: NoderedConfig = falconer_config::from_value(settings).expect("reads");
    assert_eq!(c.http.customheaders["X-B"], "2");
}
