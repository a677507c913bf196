//! Through the real dispatcher and a real HTTP sink: N alerts with `batch.maxevents` M make
//! ceil(N/M) HEC requests (the last after the linger), a busy HEC (503, 429) gets the whole
//! batch again, and a refusal (400, 401) is final: dead-lettered with HEC's text, not retried.

use std::time::Duration;

use falconer_config::{CommonSettings, GlobalSettings, GoDuration};
use falconer_testkit::{
    enriched, DeliveryHarness, RecordedRequest, RecordingSink, Reply, UnderTest, CONFIGMAP_ALERT,
};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

fn alert(n: u128) -> std::sync::Arc<falconer_core::Alert> {
    enriched(CONFIGMAP_ALERT, n)
}

async fn launch(sink: &RecordingSink, common: CommonSettings) -> DeliveryHarness {
    let splunk = UnderTest::new(
        falconer_outputs_logs::splunk::KIND,
        "splunk",
        json!({"host": sink.url("/services/collector/event"), "token": "t0k3n", "index": "falco"}),
    )
    .common(common);
    DeliveryHarness::start(vec![splunk], GlobalSettings::default()).await
}

fn common(maxevents: usize, linger: Duration) -> CommonSettings {
    let mut c = CommonSettings::default();
    c.batch.maxevents = Some(maxevents);
    c.batch.linger = Some(GoDuration(linger));
    c.retry.initialbackoff = Some(GoDuration(Duration::from_millis(20)));
    c.retry.maxbackoff = Some(GoDuration(Duration::from_millis(50)));
    c
}

/// The UUIDs of the events of one request, in order.
fn uuids(r: &RecordedRequest) -> Vec<String> {
    serde_json::Deserializer::from_slice(&r.body)
        .into_iter::<serde_json::Value>()
        .map(|e| {
            let e = e.expect("a JSON event object");
            assert_eq!(e["index"], "falco");
            e["event"]["uuid"].as_str().expect("uuid").to_owned()
        })
        .collect()
}

fn id(n: u128) -> String {
    uuid::Uuid::from_u128(n).to_string()
}

#[tokio::test]
async fn twenty_five_alerts_in_batches_of_ten_make_three_requests_the_last_after_the_linger() {
    let sink = RecordingSink::start().await;
    sink.fallback(Reply::status(200).body(r#"{"text":"Success","code":0}"#));
    let linger = Duration::from_millis(400);
    let env = launch(&sink, common(10, linger)).await;
    let d = &env.dispatcher;
    for n in 0..25 {
        d.dispatch(alert(n)).await;
    }
    let got = sink.wait_for(3, WAIT).await;
    tokio::time::sleep(linger * 2).await;
    assert_eq!(sink.requests().len(), 3, "ceil(25 / 10) requests");
    let sizes: Vec<usize> = got.iter().map(|r| uuids(r).len()).collect();
    assert_eq!(sizes, vec![10, 10, 5]);
    let all: Vec<String> = got.iter().flat_map(uuids).collect();
    assert_eq!(
        all,
        (0..25).map(id).collect::<Vec<_>>(),
        "every alert once, in order"
    );
    assert!(got
        .iter()
        .all(|r| r.header("authorization") == Some("Splunk t0k3n")
            && r.path == "/services/collector/event"));
    let gap = got[2].received_at.duration_since(got[1].received_at);
    assert!(
        gap >= linger - Duration::from_millis(50),
        "partial batch sent after {gap:?}"
    );
    d.shutdown(WAIT).await;
    assert_eq!(
        env.metric(
            r#"falcosecurity_falcosidekick_outputs_total{destination="splunk",status="ok"}"#
        ),
        25.0
    );
}

#[tokio::test]
async fn a_busy_hec_gets_the_whole_batch_again() {
    let sink = RecordingSink::start().await;
    sink.script([
        Reply::status(503).body(r#"{"text":"Server is busy","code":9}"#),
        Reply::status(429).header("Retry-After", "1"),
    ]);
    let env = launch(&sink, common(4, Duration::from_secs(5))).await;
    let d = &env.dispatcher;
    for n in 0..4 {
        d.dispatch(alert(n)).await;
    }
    let got = sink.wait_for(3, WAIT).await;
    let want: Vec<String> = (0..4).map(id).collect();
    for r in &got {
        assert_eq!(uuids(r), want, "the same batch each time");
    }
    assert!(got[2].received_at.duration_since(got[1].received_at) >= Duration::from_secs(1));
    d.shutdown(WAIT).await;
    assert_eq!(sink.requests().len(), 3);
    assert!(env.dead_letters().is_empty());
}

#[tokio::test]
async fn refusals_are_final_and_dead_lettered_with_hecs_text() {
    let sink = RecordingSink::start().await;
    sink.script([
        Reply::status(400).body(r#"{"text":"Incorrect index","code":7}"#),
        Reply::status(401).body(r#"{"text":"Invalid authorization","code":3}"#),
    ]);
    let env = launch(&sink, common(2, Duration::from_millis(50))).await;
    let d = &env.dispatcher;
    for n in 0..4 {
        d.dispatch(alert(n)).await;
    }
    sink.wait_for(2, WAIT).await;
    d.shutdown(WAIT).await;
    assert_eq!(sink.requests().len(), 2, "no retry of a refusal");
    let dead = env.dead_letters();
    assert_eq!(dead.len(), 4, "{dead:#?}");
    assert!(dead.iter().all(|r| r.meta.attempts == 1), "{dead:#?}");
    let errors: Vec<&str> = dead.iter().map(|r| r.meta.error.as_str()).collect();
    assert_eq!(
        errors,
        vec![
            "destination returned 400 Bad Request: Incorrect index (HEC code 7)",
            "destination returned 400 Bad Request: Incorrect index (HEC code 7)",
            "destination returned 401 Unauthorized: Invalid authorization (HEC code 3)",
            "destination returned 401 Unauthorized: Invalid authorization (HEC code 3)",
        ]
    );
    assert_eq!(
        env.metric(
            r#"falcosecurity_falcosidekick_outputs_total{destination="splunk",status="error"}"#
        ),
        4.0
    );
}
