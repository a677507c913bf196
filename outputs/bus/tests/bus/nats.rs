//! Against the real NATS server (with JetStream) on 127.0.0.1:4222: subjects and bodies of
//! what a subscriber receives; JetStream acknowledgements; a subject no stream captures is
//! refused for good; a server that is down is retried.

use std::time::Duration;

use falconer_config::{CommonSettings, GlobalSettings, GoDuration};
use falconer_testkit::{enriched, DeliveryHarness, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT};
use futures_util::StreamExt;
use serde_json::{json, Value};

const NATS: &str = "nats://127.0.0.1:4222";
const WAIT: Duration = Duration::from_secs(20);

/// A subject prefix of this test run, so parallel runs and other users do not interfere.
fn prefix() -> String {
    format!("falconertest{}", uuid::Uuid::new_v4().simple())
}

fn quick() -> CommonSettings {
    let mut c = CommonSettings::default();
    c.retry.initialbackoff = Some(GoDuration(Duration::from_millis(20)));
    c.retry.maxbackoff = Some(GoDuration(Duration::from_millis(100)));
    c.retry.maxattempts = Some(3);
    c
}

async fn start(settings: Value) -> DeliveryHarness {
    DeliveryHarness::start(
        vec![UnderTest::new(falconer_outputs_bus::nats::KIND, "nats", settings).common(quick())],
        GlobalSettings::default(),
    )
    .await
}

#[tokio::test]
async fn a_subscriber_gets_falcosidekicks_subject_and_the_payload() {
    let p = prefix();
    let listener = async_nats::connect(NATS)
        .await
        .expect("the NATS server on 4222 is up");
    let mut sub = listener
        .subscribe(format!("{p}.>"))
        .await
        .expect("subscribe");
    listener.flush().await.expect("flush");
    let env =
        start(json!({"hostport": NATS, "subjecttemplate": format!("{p}.<priority>.<rule>")})).await;
    let alerts = [enriched(CONFIGMAP_ALERT, 1), enriched(SHELL_ALERT, 2)];
    for a in &alerts {
        env.dispatcher.dispatch(a.clone()).await;
    }
    let mut got = Vec::new();
    while got.len() < 2 {
        let msg = tokio::time::timeout(WAIT, sub.next())
            .await
            .expect("a message in time")
            .expect("subscription open");
        got.push(msg);
    }
    assert_eq!(
        got[0].subject.as_str(),
        format!("{p}.warning.create_modify_configmap_with_private_credentials")
    );
    assert_eq!(got[0].payload, alerts[0].json_bytes().clone());
    assert_eq!(
        got[1].subject.as_str(),
        format!("{p}.notice.terminal_shell_in_container")
    );
    assert_eq!(got[1].payload, alerts[1].json_bytes().clone());
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(
        env.metric(r#"falcosecurity_falcosidekick_outputs_total{destination="nats",status="ok"}"#),
        2.0
    );
}

#[tokio::test]
async fn jetstream_acknowledges_what_a_stream_stored_and_refuses_what_none_captures() {
    let p = prefix();
    let admin = async_nats::connect(NATS)
        .await
        .expect("the NATS server on 4222 is up");
    let js = async_nats::jetstream::new(admin);
    let stream_name = p.to_uppercase();
    let mut stream = js
        .create_stream(async_nats::jetstream::stream::Config {
            name: stream_name.clone(),
            subjects: vec![format!("{p}.stored.>")],
            ..Default::default()
        })
        .await
        .expect("JetStream is enabled on the server");

    let stored = start(json!({
        "hostport": NATS, "jetstream": true,
        "subjecttemplate": format!("{p}.stored.<priority>.<rule>"),
    }))
    .await;
    for n in 0..3 {
        stored.dispatcher.dispatch(enriched(SHELL_ALERT, n)).await;
    }
    stored.dispatcher.shutdown(WAIT).await;
    assert_eq!(
        stored.metric(r#"falconer_output_deliveries_total{kind="nats",output="nats",status="ok"}"#),
        3.0
    );
    let info = stream.info().await.expect("stream info");
    assert_eq!(info.state.messages, 3);
    let first = stream.get_raw_message(1).await.expect("first message");
    assert_eq!(
        first.subject.as_str(),
        format!("{p}.stored.notice.terminal_shell_in_container")
    );
    assert_eq!(first.payload, enriched(SHELL_ALERT, 0).json_bytes().clone());

    // No stream captures this subject: JetStream has no responder, a dead letter at once.
    let lost = start(json!({
        "hostport": NATS, "jetstream": true,
        "subjecttemplate": format!("{p}.nowhere.<rule>"),
    }))
    .await;
    lost.dispatcher.dispatch(enriched(SHELL_ALERT, 9)).await;
    lost.dispatcher.shutdown(WAIT).await;
    let letters = lost.dead_letters();
    assert_eq!(
        letters.len(),
        1,
        "{:?}",
        letters.iter().map(|l| &l.meta).collect::<Vec<_>>()
    );
    assert_eq!(letters[0].meta.reason, "rejected");
    js.delete_stream(&stream_name).await.expect("cleanup");
}

#[tokio::test]
async fn a_server_that_is_down_is_retried_then_dead_lettered() {
    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let env = start(json!({"hostport": format!("nats://127.0.0.1:{port}")})).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(
        env.metric(r#"falconer_output_attempts_total{kind="nats",output="nats"}"#),
        3.0
    );
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "retries_exhausted");
}
