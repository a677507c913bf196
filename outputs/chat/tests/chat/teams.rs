//! Against the recording sink, through the real delivery core: the exact request in both
//! formats, the shared classification, and a connector's "200 but throttled" answer retried.

use falconer_http::contract::{assert_classification, deliver, launch, quick, sample, WAIT};
use falconer_outputs_chat::common::Encode;
use falconer_outputs_chat::teams::{TeamsConfig, KIND};
use falconer_testkit::{RecordingSink, Reply};
use serde_json::{json, Value};

fn settings(sink: &RecordingSink, format: &str) -> Value {
    json!({"webhookurl": sink.url("/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=SIG"),
           "format": format})
}

fn expected(settings: Value, n: u128) -> Vec<u8> {
    let config: TeamsConfig = serde_json::from_value(settings).expect("config");
    config.encoder().encode(&sample(n)).expect("encodes").body
}

#[tokio::test]
async fn one_alert_is_one_post_of_the_card() {
    for format in ["messagecard", "adaptivecard"] {
        let sink = RecordingSink::start().await;
        let s = settings(&sink, format);
        let got = deliver(&sink, KIND, s.clone(), quick(1), &[sample(1)]).await;
        assert_eq!(got.len(), 1);
        let r = &got[0];
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/workflows/abc/triggers/manual/paths/invoke")
        );
        assert_eq!(r.query.as_deref(), Some("api-version=1&sig=SIG"));
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(r.body, expected(s, 1), "{format}");
    }
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    assert_classification(&sink, KIND, settings(&sink, ""), "Bad payload").await;
}

#[tokio::test]
async fn a_throttled_connector_answering_200_is_retried() {
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(200)
        .body("Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0")]);
    sink.fallback(Reply::status(200).body("1"));
    let env = launch(KIND, settings(&sink, ""), quick(1)).await;
    env.dispatcher.dispatch(sample(1)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(sink.requests().len(), 2);
    assert!(env.dead_letters().is_empty());
}
