//! Batching through the real dispatcher and a real HTTP sink: N alerts with `batch.maxevents`
//! M make ceil(N/M) pushes, `batch.linger` flushes a partial batch, and a 429 is retried
//! with the whole batch.

use std::time::Duration;

use falconer_config::{CommonSettings, GlobalSettings, GoDuration};
use falconer_core::Dispatcher;
use falconer_testkit::{
    enriched, DeliveryHarness, RecordedRequest, RecordingSink, Reply, UnderTest, CONFIGMAP_ALERT,
};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

fn alert(n: u128) -> std::sync::Arc<falconer_core::Alert> {
    enriched(CONFIGMAP_ALERT, n)
}

async fn launch(sink: &RecordingSink, common: CommonSettings) -> DeliveryHarness {
    let loki = UnderTest::new(
        falconer_outputs_logs::loki::KIND,
        "loki",
        json!({"hostport": sink.url(""), "format": "json"}),
    )
    .common(common);
    DeliveryHarness::start(vec![loki], GlobalSettings::default()).await
}

fn common(maxevents: usize, linger: Duration) -> CommonSettings {
    let mut c = CommonSettings::default();
    c.batch.maxevents = Some(maxevents);
    c.batch.linger = Some(GoDuration(linger));
    c.retry.initialbackoff = Some(GoDuration(Duration::from_millis(20)));
    c
}

/// The UUIDs carried by one push, in order.
fn uuids(r: &RecordedRequest) -> Vec<String> {
    let push: serde_json::Value = serde_json::from_slice(&r.decoded_body()).expect("JSON push");
    push["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .flat_map(|s| s["values"].as_array().expect("values").clone())
        .map(|v| {
            let line: serde_json::Value =
                serde_json::from_str(v[1].as_str().expect("line")).expect("JSON line");
            line["uuid"].as_str().expect("uuid").to_owned()
        })
        .collect()
}

#[tokio::test]
async fn twenty_five_alerts_in_batches_of_ten_make_three_pushes_the_last_after_the_linger() {
    let sink = RecordingSink::start().await;
    let linger = Duration::from_millis(400);
    let env = launch(&sink, common(10, linger)).await;
    let d: &Dispatcher = &env.dispatcher;
    for n in 0..25 {
        d.dispatch(alert(n)).await;
    }
    let got = sink.wait_for(3, WAIT).await;
    tokio::time::sleep(linger * 2).await;
    let got_later = sink.requests();
    assert_eq!(got_later.len(), 3, "ceil(25 / 10) pushes");
    let sizes: Vec<usize> = got.iter().map(|r| uuids(r).len()).collect();
    assert_eq!(sizes, vec![10, 10, 5]);
    let all: Vec<String> = got.iter().flat_map(uuids).collect();
    let want: Vec<String> = (0..25)
        .map(|n| uuid::Uuid::from_u128(n).to_string())
        .collect();
    assert_eq!(all, want, "every alert once, in order");
    let gap = got[2].received_at.duration_since(got[1].received_at);
    assert!(
        gap >= linger - Duration::from_millis(50),
        "partial batch sent after {gap:?}"
    );
    assert!(got
        .iter()
        .all(|r| r.header("content-encoding") == Some("gzip")));
    d.shutdown(WAIT).await;
}

#[tokio::test]
async fn a_rate_limited_push_is_sent_again_whole() {
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(429).header("Retry-After", "1")]);
    let env = launch(&sink, common(5, Duration::from_secs(5))).await;
    let d = &env.dispatcher;
    for n in 0..5 {
        d.dispatch(alert(n)).await;
    }
    let got = sink.wait_for(2, WAIT).await;
    assert_eq!(uuids(&got[0]), uuids(&got[1]));
    assert_eq!(uuids(&got[1]).len(), 5);
    assert!(got[1].received_at.duration_since(got[0].received_at) >= Duration::from_secs(1));
    d.shutdown(WAIT).await;
    assert_eq!(sink.requests().len(), 2);
}
