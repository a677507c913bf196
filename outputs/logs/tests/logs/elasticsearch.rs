//! Through the real dispatcher and a real HTTP sink: N alerts with `batch.maxevents` M make
//! ceil(N/M) `_bulk` requests (the last after the linger), and a bulk answer with one item
//! throttled and one refused sends only the throttled one again and dead-letters the other.

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
    let es = UnderTest::new(
        falconer_outputs_logs::elasticsearch::KIND,
        "es",
        json!({"hostport": sink.url("")}),
    )
    .common(common);
    DeliveryHarness::start(vec![es], GlobalSettings::default()).await
}

fn common(maxevents: usize, linger: Duration) -> CommonSettings {
    let mut c = CommonSettings::default();
    c.batch.maxevents = Some(maxevents);
    c.batch.linger = Some(GoDuration(linger));
    c.retry.initialbackoff = Some(GoDuration(Duration::from_millis(20)));
    c.retry.maxbackoff = Some(GoDuration(Duration::from_millis(50)));
    c
}

/// The `_id`s of one `_bulk` request, in order.
fn ids(r: &RecordedRequest) -> Vec<String> {
    r.text()
        .lines()
        .step_by(2)
        .map(|l| {
            let action: serde_json::Value = serde_json::from_str(l).expect("action line");
            action["create"]["_id"].as_str().expect("_id").to_owned()
        })
        .collect()
}

fn id(n: u128) -> String {
    uuid::Uuid::from_u128(n).to_string()
}

#[tokio::test]
async fn twenty_five_alerts_in_batches_of_ten_make_three_bulk_requests() {
    let sink = RecordingSink::start().await;
    sink.fallback(Reply::status(200).body(r#"{"errors":false}"#));
    let linger = Duration::from_millis(400);
    let env = launch(&sink, common(10, linger)).await;
    let d = &env.dispatcher;
    for n in 0..25 {
        d.dispatch(alert(n)).await;
    }
    let got = sink.wait_for(3, WAIT).await;
    tokio::time::sleep(linger * 2).await;
    assert_eq!(sink.requests().len(), 3, "ceil(25 / 10) requests");
    assert!(got.iter().all(|r| r.path == "/_bulk"));
    let sizes: Vec<usize> = got.iter().map(|r| ids(r).len()).collect();
    assert_eq!(sizes, vec![10, 10, 5]);
    let all: Vec<String> = got.iter().flat_map(ids).collect();
    assert_eq!(all, (0..25).map(id).collect::<Vec<_>>());
    let gap = got[2].received_at.duration_since(got[1].received_at);
    assert!(
        gap >= linger - Duration::from_millis(50),
        "partial batch after {gap:?}"
    );
    d.shutdown(WAIT).await;
}

#[tokio::test]
async fn only_the_throttled_item_is_sent_again_and_the_refused_one_is_a_dead_letter() {
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(200).body(
        r#"{"errors":true,"items":[{"create":{"status":201}},{"create":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}},{"create":{"status":400,"error":{"type":"illegal_argument_exception","reason":"no write index"}}}]}"#,
    )]);
    sink.fallback(Reply::status(200).body(r#"{"errors":false}"#));
    let env = launch(&sink, common(3, Duration::from_secs(5))).await;
    let d = &env.dispatcher;
    for n in 1..=3 {
        d.dispatch(alert(n)).await;
    }
    let got = sink.wait_for(2, WAIT).await;
    d.shutdown(WAIT).await;
    assert_eq!(sink.requests().len(), 2);
    assert_eq!(ids(&got[0]), vec![id(1), id(2), id(3)]);
    assert_eq!(ids(&got[1]), vec![id(2)], "only the throttled item again");
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "rejected");
    assert!(letters[0]
        .meta
        .error
        .contains("illegal_argument_exception: no write index"));
    assert_eq!(letters[0].alert.get().as_bytes(), alert(3).to_json());
}
