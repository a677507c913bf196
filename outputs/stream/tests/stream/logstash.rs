//! The logstash output against a strict loopback receiver (CRLF-terminated JSON lines, as
//! Logstash's `tcp` input with `codec => json_lines` reads them): exact lines of a batch,
//! configured tags, the persistent connection and its replacement, TLS with `checkcert`
//! (default off, as falcosidekick), `cacertfile`, mutual TLS with the block's own files, and
//! retries through the real dispatcher while Logstash is down.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{Receiver, StreamFraming, TlsSetup};
use falconer_config::{CommonSettings, GlobalSettings, GoDuration, OutputEntry};
use falconer_core::{BuildContext, Output, Retry, SendError};
use falconer_outputs_stream::logstash::KIND;
use falconer_testkit::{
    enriched, DeliveryHarness, TestPki, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT,
};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

async fn build(settings: Value) -> Arc<dyn Output> {
    let entry = OutputEntry {
        name: "logstash".into(),
        kind: "logstash".into(),
        path: "logstash".into(),
        common: CommonSettings::default(),
        settings,
    };
    KIND.prepare(&entry)
        .expect("valid config")
        .build(BuildContext {
            name: "logstash".into(),
            path: "logstash".into(),
            global: Arc::new(GlobalSettings::default()),
            resources: falconer_core::Resources::default(),
        })
        .await
        .expect("builds")
}

fn tls_receiver_setup(pki: &TestPki, require_client_cert: bool) -> TlsSetup<'_> {
    TlsSetup {
        pki,
        require_client_cert,
    }
}

#[tokio::test]
async fn a_batch_is_one_crlf_terminated_json_line_per_alert_on_one_connection() {
    let rx = Receiver::tcp(StreamFraming::CrLf, None).await;
    let out = build(json!({"address": "127.0.0.1", "port": rx.port()})).await;
    let batch = [enriched(CONFIGMAP_ALERT, 1), enriched(SHELL_ALERT, 2)];
    out.send(&batch).await.expect("sent");
    out.send(&[enriched(SHELL_ALERT, 3)]).await.expect("sent");
    let got = rx.wait_for(3, WAIT).await;
    rx.assert_clean();
    assert_eq!(got[0].bytes, batch[0].to_json(), "the payload JSON as is");
    assert_eq!(got[1].bytes, batch[1].to_json());
    assert_eq!(
        got.iter().map(|f| f.conn).collect::<Vec<_>>(),
        vec![0, 0, 0],
        "one persistent connection"
    );
}

#[tokio::test]
async fn configured_tags_from_a_comma_list_are_appended() {
    let rx = Receiver::tcp(StreamFraming::CrLf, None).await;
    let out =
        build(json!({"address": "127.0.0.1", "port": rx.port().to_string(), "tags": "siem, prod"}))
            .await;
    out.send(&[enriched(CONFIGMAP_ALERT, 1)])
        .await
        .expect("sent");
    let got = rx.wait_for(1, WAIT).await;
    let v: Value = serde_json::from_slice(&got[0].bytes).expect("a JSON line");
    assert_eq!(v["tags"], json!(["k8s", "siem", "prod"]));
    assert_eq!(v["uuid"], "00000000-0000-0000-0000-000000000001");
    assert_eq!(
        v["rule"],
        "Create/Modify Configmap With Private Credentials"
    );
}

#[tokio::test]
async fn a_connection_logstash_closed_is_replaced_before_the_next_write() {
    let rx = Receiver::tcp(StreamFraming::CrLf, Some(1)).await;
    let out = build(json!({"address": "127.0.0.1", "port": rx.port()})).await;
    out.healthcheck().await.expect("the probe connects");
    for n in 0..3usize {
        out.send(&[enriched(SHELL_ALERT, n as u128)])
            .await
            .expect("sent");
        rx.wait_for(n + 1, WAIT).await;
        rx.wait_until(WAIT, || rx.closed() > n).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = rx.frames();
    assert_eq!(got.len(), 3, "no alert written into a closed connection");
    assert_eq!(
        got.iter().map(|f| f.conn).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    rx.assert_clean();
}

#[tokio::test]
async fn logstash_down_is_a_connection_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = build(json!({"address": "127.0.0.1", "port": port})).await;
    let e = out.send(&[enriched(CONFIGMAP_ALERT, 1)]).await.unwrap_err();
    assert!(matches!(e, SendError::Connect(_)), "{e:?}");
    assert_eq!((e.retry(), e.label()), (Retry::Backoff, "connect"));
    assert!(out.healthcheck().await.is_err());
}

#[tokio::test]
async fn tls_without_checkcert_accepts_the_server_as_falcosidekick_does() {
    let pki = TestPki::new();
    let rx = Receiver::tls(StreamFraming::CrLf, None, tls_receiver_setup(&pki, false)).await;
    let out = build(json!({"address": "127.0.0.1", "port": rx.port(), "tls": true})).await;
    let a = enriched(CONFIGMAP_ALERT, 1);
    out.send(std::slice::from_ref(&a)).await.expect("sent");
    let got = rx.wait_for(1, WAIT).await;
    assert_eq!(got[0].bytes, a.to_json());
    assert_eq!(rx.client_certs(), vec![false]);
}

#[tokio::test]
async fn checkcert_verifies_against_cacertfile() {
    let pki = TestPki::new();
    let rx = Receiver::tls(StreamFraming::CrLf, None, tls_receiver_setup(&pki, false)).await;
    let untrusted =
        build(json!({"address": "127.0.0.1", "port": rx.port(), "tls": true, "checkcert": true}))
            .await;
    let e = untrusted
        .send(&[enriched(CONFIGMAP_ALERT, 1)])
        .await
        .unwrap_err();
    assert!(matches!(e, SendError::Connect(_)), "{e:?}");
    assert!(e.to_string().contains("TLS handshake"), "{e}");
    rx.wait_until(WAIT, || !rx.handshake_errors().is_empty())
        .await;
    assert!(
        rx.handshake_errors()[0].contains("UnknownCA"),
        "{:?}",
        rx.handshake_errors()
    );

    let trusted = build(json!({
        "address": "127.0.0.1",
        "port": rx.port(),
        "tls": true,
        "checkcert": true,
        "cacertfile": pki.ca().display().to_string()
    }))
    .await;
    let a = enriched(CONFIGMAP_ALERT, 2);
    trusted.send(std::slice::from_ref(&a)).await.expect("sent");
    let got = rx.wait_for(1, WAIT).await;
    assert_eq!(got[0].bytes, a.to_json());
}

#[tokio::test]
async fn mutual_tls_presents_the_blocks_own_certificate() {
    let pki = TestPki::new();
    let rx = Receiver::tls(StreamFraming::CrLf, None, tls_receiver_setup(&pki, true)).await;
    let out = build(json!({
        "address": "127.0.0.1",
        "port": rx.port(),
        "mutualtls": true,
        "certfile": pki.client().cert.display().to_string(),
        "keyfile": pki.client().key.display().to_string(),
        "cacertfile": pki.ca().display().to_string()
    }))
    .await;
    let a = enriched(SHELL_ALERT, 1);
    out.send(std::slice::from_ref(&a)).await.expect("sent");
    let got = rx.wait_for(1, WAIT).await;
    assert_eq!(got[0].bytes, a.to_json());
    assert_eq!(rx.client_certs(), vec![true]);
}

#[tokio::test]
async fn through_the_dispatcher_alerts_wait_for_logstash_and_arrive_once_in_order() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let mut common = CommonSettings::default();
    common.retry.initialbackoff = Some(GoDuration(Duration::from_millis(50)));
    common.retry.maxbackoff = Some(GoDuration(Duration::from_millis(100)));
    common.retry.maxattempts = Some(100);
    common.breaker.cooldown = GoDuration(Duration::from_millis(200));
    let logstash = UnderTest::new(
        KIND,
        "elk",
        json!({"address": "127.0.0.1", "port": addr.port()}),
    )
    .common(common);
    let env = DeliveryHarness::start(vec![logstash], GlobalSettings::default()).await;
    for n in 0..30 {
        env.dispatcher.dispatch(enriched(SHELL_ALERT, n)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        env.metric(r#"falconer_output_errors_total{error="connect",kind="logstash",output="elk"}"#)
            >= 1.0,
        "attempts failed while Logstash was down"
    );
    let rx = Receiver::tcp_on(addr, StreamFraming::CrLf).await;
    let got = rx.wait_for(30, WAIT).await;
    env.dispatcher.shutdown(WAIT).await;
    rx.assert_clean();
    let uuids: Vec<String> = got
        .iter()
        .map(|f| {
            let v: Value = serde_json::from_slice(&f.bytes).unwrap();
            v["uuid"].as_str().unwrap().to_owned()
        })
        .collect();
    let want: Vec<String> = (0..30)
        .map(|n| uuid::Uuid::from_u128(n).to_string())
        .collect();
    assert_eq!(uuids, want, "every alert once, in order");
    assert_eq!(
        env.metric(
            r#"falcosecurity_falcosidekick_outputs_total{destination="logstash",status="ok"}"#
        ),
        30.0
    );
    assert!(env.dead_letters().is_empty());
}
