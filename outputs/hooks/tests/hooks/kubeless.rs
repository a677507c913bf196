//! Against the recording sink: falcosidekick's request with the Kubeless event headers
//! (through `hostport`), the classification of answers, the env variables.

use falconer_http::contract::{assert_classification, sample};
use falconer_outputs_hooks::kubeless::{KubelessConfig, KIND};
use falconer_testkit::RecordingSink;
use serde_json::json;

use crate::{assert_payload_post, from_env};

fn settings(sink: &RecordingSink) -> serde_json::Value {
    json!({"function": "falco-fn", "namespace": "kubeless", "hostport": sink.url("")})
}

#[tokio::test]
async fn one_alert_is_one_post_with_the_event_headers() {
    let sink = RecordingSink::start().await;
    let r = assert_payload_post(&sink, KIND, settings(&sink), "/", "application/json").await;
    assert_eq!(r.header("event-id"), Some(sample(1).uuid.as_str()));
    assert_eq!(r.header("event-type"), Some("falco"));
    assert_eq!(r.header("event-namespace"), Some("kubeless"));
}

#[tokio::test]
async fn a_503_is_retried_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    assert_classification(&sink, KIND, settings(&sink), "bad event").await;
}

#[test]
fn env_variables_configure_the_block() {
    let settings = from_env(
        KIND,
        &[
            ("KUBELESS_FUNCTION", "f"),
            ("KUBELESS_NAMESPACE", "fns"),
            ("KUBELESS_PORT", "9090"),
        ],
    );
    let c: KubelessConfig = falconer_config::from_value(settings).expect("reads");
    assert_eq!(c.url(), "http://f.fns.svc.cluster.local:9090/");
}
