//! Against the recording sink: the request falcosidekick sends, a batch, every host of an HA
//! cluster, and the classification through the delivery core.

use falconer_http::contract::{assert_classification, deliver, launch, quick, sample, WAIT};
use falconer_testkit::{RecordingSink, Reply};
use serde_json::json;

const KIND: falconer_core::OutputKind = falconer_outputs_incident::alertmanager::KIND;

fn settings(sink: &RecordingSink) -> serde_json::Value {
    json!({
        "hostport": sink.url(""),
        "customheaders": {"Authorization": "Basic YWxlcnQ6bWFuYWdlcg=="},
    })
}

fn encoder() -> falconer_outputs_incident::alertmanager::AlertmanagerEncoder {
    let config: falconer_outputs_incident::alertmanager::AlertmanagerConfig =
        falconer_config::from_value(json!({"hostport": "http://x"})).expect("config");
    config.encoder().expect("encoder")
}

#[tokio::test]
async fn one_alert_is_falcosidekicks_request_byte_for_byte() {
    let sink = RecordingSink::start().await;
    let alert = sample(1);
    let got = deliver(
        &sink,
        KIND,
        settings(&sink),
        quick(100),
        std::slice::from_ref(&alert),
    )
    .await;
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/api/v2/alerts")
    );
    assert_eq!(r.query, None);
    assert_eq!(
        r.header("authorization"),
        Some("Basic YWxlcnQ6bWFuYWdlcg=="),
        "customheaders"
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let want = encoder().body(&[alert]).expect("encodes");
    assert_eq!(r.body.as_ref(), want.as_slice());
    assert_eq!(r.json().as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_batch_is_one_array_and_the_endpoint_is_configurable() {
    let sink = RecordingSink::start().await;
    let alerts: Vec<_> = (0..3).map(sample).collect();
    let mut s = settings(&sink);
    s["endpoint"] = json!("/am/api/v2/alerts");
    let got = deliver(&sink, KIND, s, quick(10), &alerts).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "/am/api/v2/alerts");
    let want = encoder().body(&alerts).expect("encodes");
    assert_eq!(got[0].body.as_ref(), want.as_slice());
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_an_invalid_alert_is_final() {
    let sink = RecordingSink::start().await;
    let reason = r#"{"code":400,"message":"invalid label set: invalid name \"1x\""}"#;
    assert_classification(&sink, KIND, settings(&sink), reason).await;
}

#[tokio::test]
async fn every_alertmanager_of_a_cluster_gets_every_batch() {
    let a = RecordingSink::start().await;
    let b = RecordingSink::start().await;
    let s = json!({"hostport": format!("{},{}", a.url(""), b.url(""))});
    let alerts = [sample(1), sample(2)];
    let env = launch(KIND, s, quick(10)).await;
    for alert in &alerts {
        env.dispatcher.dispatch(alert.clone()).await;
    }
    env.dispatcher.shutdown(WAIT).await;
    let want = encoder().body(&alerts).expect("encodes");
    for sink in [&a, &b] {
        let got = sink.requests();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].body.as_ref(), want.as_slice());
    }
    assert!(env.dead_letters().is_empty());
}

/// One Alertmanager down: delivered (the other has the alerts), nothing retried.
/// With `requireallhosts`, the batch is retried on both until both took it.
#[tokio::test]
async fn one_host_down_is_tolerated_unless_all_are_required() {
    let up = RecordingSink::start().await;
    let down = RecordingSink::start().await;
    down.fallback(Reply::status(503).body("down"));
    let s = json!({"hostport": [up.url(""), down.url("")]});
    let env = launch(KIND, s, quick(1)).await;
    env.dispatcher.dispatch(sample(1)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(up.requests().len(), 1);
    assert_eq!(down.requests().len(), 1);
    assert!(env.dead_letters().is_empty());

    let up = RecordingSink::start().await;
    let flaky = RecordingSink::start().await;
    flaky.script([Reply::status(503), Reply::status(200)]);
    let s = json!({"hostport": [up.url(""), flaky.url("")], "requireallhosts": true});
    let env = launch(KIND, s, quick(1)).await;
    env.dispatcher.dispatch(sample(1)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(up.requests().len(), 2, "the retry goes to every host");
    assert_eq!(flaky.requests().len(), 2);
    assert_eq!(up.requests()[0].body, flaky.requests()[1].body);
    assert!(env.dead_letters().is_empty());
}
