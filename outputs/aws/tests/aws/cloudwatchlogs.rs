//! Against moto in server mode on loopback: the default stream is created and gets the
//! payloads as events in time order with the alerts' timestamps (read back with
//! GetLogEvents); a configured stream that exists is used as is; a missing group is refused
//! for good.

use std::sync::Arc;
use std::time::Duration;

use crate::moto::Moto;
use falconer_config::{BatchSettings, GlobalSettings, GoDuration};
use falconer_core::Alert;
use falconer_testkit::{enriched, DeliveryHarness, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

async fn start(settings: Value) -> DeliveryHarness {
    let mut common = falconer_testkit::fast_retries(3);
    common.batch = BatchSettings {
        linger: Some(GoDuration(Duration::from_millis(200))),
        ..BatchSettings::default()
    };
    DeliveryHarness::start(
        vec![UnderTest::new(
            falconer_outputs_aws::cloudwatchlogs::KIND,
            "cloudwatchlogs",
            settings,
        )
        .common(common)],
        GlobalSettings::default(),
    )
    .await
}

/// `json` with its time set to `ago` before now.
fn recent(json: &str, n: u128, ago: Duration) -> Arc<Alert> {
    let mut v: Value = serde_json::from_str(json).expect("sample alert");
    let time = chrono::Utc::now() - chrono::Duration::from_std(ago).expect("duration");
    v["time"] = json!(time.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true));
    enriched(&v.to_string(), n)
}

async fn events(
    logs: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    stream: &str,
) -> Vec<(i64, String)> {
    logs.get_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .start_from_head(true)
        .send()
        .await
        .expect("GetLogEvents")
        .events()
        .iter()
        .map(|e| {
            (
                e.timestamp().unwrap_or_default(),
                e.message().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn want(alerts: &[&Arc<Alert>]) -> Vec<(i64, String)> {
    alerts
        .iter()
        .map(|a| {
            (
                a.time.timestamp_millis(),
                String::from_utf8(a.to_json().to_vec()).expect("utf-8"),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_default_stream_is_created_and_gets_the_events_in_time_order() {
    let moto = Moto::start().await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&moto.sdk_config().await);
    logs.create_log_group()
        .log_group_name("falco")
        .send()
        .await
        .expect("CreateLogGroup");
    let env = start(moto.with(json!({"loggroup": "falco"}))).await;
    let newer = recent(SHELL_ALERT, 1, Duration::from_secs(5));
    let older = recent(CONFIGMAP_ALERT, 2, Duration::from_secs(60));
    let newest = recent(SHELL_ALERT, 3, Duration::from_secs(1));
    for a in [&newer, &older, &newest] {
        env.dispatcher.dispatch(a.clone()).await;
    }
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());
    assert_eq!(
        events(&logs, "falco", "falcosidekick-logstream").await,
        want(&[&older, &newer, &newest])
    );
    assert_eq!(
        env.metric(
            r#"falconer_output_attempts_total{kind="cloudwatchlogs",output="cloudwatchlogs"}"#
        ),
        1.0
    );
}

#[tokio::test]
async fn a_configured_stream_that_exists_is_used() {
    let moto = Moto::start().await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&moto.sdk_config().await);
    logs.create_log_group()
        .log_group_name("falco")
        .send()
        .await
        .expect("CreateLogGroup");
    logs.create_log_stream()
        .log_group_name("falco")
        .log_stream_name("node-1")
        .send()
        .await
        .expect("CreateLogStream");
    let env = start(moto.with(json!({"loggroup": "falco", "logstream": "node-1"}))).await;
    let alert = recent(SHELL_ALERT, 1, Duration::from_secs(2));
    env.dispatcher.dispatch(alert.clone()).await;
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());
    assert_eq!(events(&logs, "falco", "node-1").await, want(&[&alert]));
}

#[tokio::test]
async fn a_missing_group_is_refused_for_good() {
    let moto = Moto::start().await;
    let env = start(moto.with(json!({"loggroup": "nope"}))).await;
    env.dispatcher
        .dispatch(recent(SHELL_ALERT, 1, Duration::ZERO))
        .await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "rejected");
    assert_eq!(letters[0].meta.attempts, 1);
    assert!(
        letters[0].meta.error.contains("ResourceNotFoundException"),
        "{}",
        letters[0].meta.error
    );
}

#[tokio::test]
async fn an_event_from_long_ago_is_given_up_while_the_others_go() {
    let moto = Moto::start().await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&moto.sdk_config().await);
    logs.create_log_group()
        .log_group_name("falco")
        .send()
        .await
        .expect("CreateLogGroup");
    let env = start(moto.with(json!({"loggroup": "falco"}))).await;
    let old = enriched(SHELL_ALERT, 1); // May 2024: beyond CloudWatch's 14 days.
    let fresh = recent(CONFIGMAP_ALERT, 2, Duration::from_secs(1));
    env.dispatcher.dispatch(old.clone()).await;
    env.dispatcher.dispatch(fresh.clone()).await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0].meta.reason, "rejected");
    assert_eq!(letters[0].to_alert().expect("alert").uuid, old.uuid);
    assert!(
        letters[0].meta.error.contains("too old"),
        "{}",
        letters[0].meta.error
    );
    assert_eq!(
        events(&logs, "falco", "falcosidekick-logstream").await,
        want(&[&fresh])
    );
}
