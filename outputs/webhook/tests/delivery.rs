//! Fault injection through the real webhook output and a real HTTP sink: retries, Retry-After,
//! refusals kept as dead letters, and a hanging destination that does not slow another one.

use std::time::{Duration, Instant};

use falconer_config::{CommonSettings, GlobalSettings, GoDuration};
use falconer_testkit::{
    enriched, DeliveryHarness, RecordingSink, Reply, UnderTest, CONFIGMAP_ALERT,
};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

fn settings(attempts: u32) -> CommonSettings {
    let mut c = CommonSettings::default();
    c.retry.maxattempts = Some(attempts);
    c.retry.initialbackoff = Some(GoDuration(Duration::from_millis(20)));
    c.retry.maxbackoff = Some(GoDuration(Duration::from_millis(200)));
    c
}

fn hook(name: &str, sink: &RecordingSink, common: CommonSettings) -> UnderTest {
    UnderTest::new(
        falconer_output_webhook::KIND,
        name,
        json!({ "address": sink.url("/falco") }),
    )
    .common(common)
}

async fn start(outputs: Vec<UnderTest>) -> DeliveryHarness {
    DeliveryHarness::start(outputs, GlobalSettings::default()).await
}

fn alert(n: u128) -> std::sync::Arc<falconer_core::Alert> {
    enriched(CONFIGMAP_ALERT, n)
}

#[tokio::test]
async fn three_server_errors_then_success_deliver_exactly_once() {
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(500), Reply::status(500), Reply::status(500)]);
    let env = start(vec![hook("hook", &sink, settings(5))]).await;
    let d = &env.dispatcher;
    assert_eq!(d.dispatch(alert(1)).await.queued, 1);
    d.shutdown(WAIT).await;

    let got = sink.requests();
    assert_eq!(got.len(), 4, "3 failures and the success");
    // Every attempt carries the same body: the same alert, the same UUID.
    assert!(got.iter().all(|r| r.body == got[0].body));
    assert_eq!(
        got[0].json()["uuid"],
        "00000000-0000-0000-0000-000000000001"
    );
    let labels = r#"{kind="webhook",output="hook"}"#;
    assert_eq!(
        env.metric(&format!("falconer_output_retries_total{labels}")),
        3.0
    );
    assert_eq!(
        env.metric(&format!("falconer_output_attempts_total{labels}")),
        4.0
    );
    assert_eq!(
        env.metric(r#"falconer_output_deliveries_total{kind="webhook",output="hook",status="ok"}"#),
        1.0
    );
    assert_eq!(
        env.metric(
            r#"falconer_output_errors_total{error="http_5xx",kind="webhook",output="hook"}"#
        ),
        3.0
    );
    assert!(env.dead_letters().is_empty());
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(429).header("Retry-After", "2")]);
    let env = start(vec![hook("hook", &sink, settings(5))]).await;
    let d = &env.dispatcher;
    d.dispatch(alert(2)).await;
    let got = sink.wait_for(2, WAIT).await;
    let gap = got[1].received_at.duration_since(got[0].received_at);
    assert!(gap >= Duration::from_secs(2), "retried after {gap:?}");
    d.shutdown(WAIT).await;
    assert_eq!(sink.requests().len(), 2);
}

#[tokio::test]
async fn a_400_is_not_retried_and_is_kept_with_the_destination_reason() {
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(400).body("field priority: unknown value \"Loud\"")]);
    let env = start(vec![hook("hook", &sink, settings(5))]).await;
    let d = &env.dispatcher;
    d.dispatch(alert(3)).await;
    d.shutdown(WAIT).await;
    assert_eq!(sink.requests().len(), 1, "no retry after a 400");

    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    let meta = &letters[0].meta;
    assert_eq!(
        (
            meta.output.as_str(),
            meta.kind.as_str(),
            meta.reason.as_str(),
            meta.attempts
        ),
        ("hook", "webhook", "rejected", 1)
    );
    assert!(
        meta.error.contains("400")
            && meta
                .error
                .contains(r#"field priority: unknown value "Loud""#),
        "{}",
        meta.error
    );
    assert_eq!(letters[0].alert.get().as_bytes(), alert(3).to_json());
    assert_eq!(
        env.metric(
            r#"falconer_output_dead_letters_total{kind="webhook",output="hook",reason="rejected"}"#
        ),
        1.0
    );
}

#[tokio::test]
async fn a_hanging_destination_times_out_while_another_delivers_everything() {
    let hanging = RecordingSink::start().await;
    hanging.fallback(Reply::status(200).delay(Duration::from_secs(3600)));
    let healthy = RecordingSink::start().await;
    let mut slow = settings(2);
    slow.timeout = GoDuration(Duration::from_millis(300));
    let env = start(vec![
        hook("hanging", &hanging, slow),
        hook("healthy", &healthy, settings(5)),
    ])
    .await;
    let d = &env.dispatcher;
    for n in 0..20 {
        d.dispatch(alert(100 + n)).await;
    }
    // All 20 reach the healthy sink while the other is still on its first alert.
    healthy.wait_for(20, WAIT).await;
    // The per-attempt timeout fires.
    let started = Instant::now();
    let timeouts =
        r#"falconer_output_errors_total{error="timeout",kind="webhook",output="hanging"}"#;
    while env.metric(timeouts) < 1.0 {
        assert!(started.elapsed() < WAIT, "no timeout counted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    d.shutdown(Duration::from_millis(100)).await;
    assert_eq!(healthy.requests().len(), 20);
    // Nothing of the hanging output is lost silently: each alert is a dead letter.
    assert_eq!(env.dead_letters().len(), 20);
}
