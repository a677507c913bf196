//! Against the recording sink: the binary-mode request (every `ce-*` header, the payload
//! JSON body), the classification of answers, the env variables.

use falconer_http::contract::{assert_classification, deliver, quick, sample};
use falconer_outputs_hooks::cloudevents::{CloudeventsConfig, KIND};
use falconer_testkit::RecordingSink;
use serde_json::json;

use crate::from_env;

fn settings(sink: &RecordingSink) -> serde_json::Value {
    json!({"address": sink.url("/default/falco"), "extensions": {"cluster": "prod"}})
}

#[tokio::test]
async fn one_alert_is_one_binary_mode_event() {
    let sink = RecordingSink::start().await;
    let alert = sample(1);
    let got = deliver(
        &sink,
        KIND,
        settings(&sink),
        quick(1),
        std::slice::from_ref(&alert),
    )
    .await;
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/default/falco")
    );
    assert_eq!(r.body.as_ref(), alert.json_bytes().as_ref());
    let ce: Vec<(&str, &str)> = r
        .headers
        .iter()
        .filter(|(n, _)| n.starts_with("ce-") || n == "content-type")
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let mut ce = ce;
    ce.sort_unstable();
    assert_eq!(
        ce,
        [
            ("ce-cluster", "prod"),
            ("ce-eventsource", "syscalls"),
            ("ce-hostname", "node-1"),
            ("ce-id", alert.uuid.as_str()),
            ("ce-priority", "Notice"),
            ("ce-rule", "Terminal shell in container"),
            ("ce-source", "https://falco.org"),
            ("ce-specversion", "1.0"),
            ("ce-time", "2024-05-14T16:31:56.746609046Z"),
            ("ce-type", "falco.rule.output.v1"),
            ("content-type", "application/json"),
        ]
    );
}

#[tokio::test]
async fn a_503_is_retried_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    assert_classification(&sink, KIND, settings(&sink), "unsupported event type").await;
}

#[test]
fn env_variables_configure_the_block() {
    let settings = from_env(
        KIND,
        &[
            ("CLOUDEVENTS_ADDRESS", "http://broker-ingress/default/falco"),
            ("CLOUDEVENTS_EXTENSIONS", "cluster:prod,team:secops"),
        ],
    );
    let c: CloudeventsConfig = falconer_config::from_value(settings).expect("reads");
    assert_eq!(c.extensions["team"], "secops");
    assert_eq!(c.extensions.len(), 2);
}
