//! The syslog output against strict loopback receivers over UDP and TCP (newline and octet
//! framing): every header field, the body, the persistent connection, the reconnect after the
//! receiver closes it, and retries through the real dispatcher while the receiver is down.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{parse_3164, parse_5424, parse_cef, Receiver, StreamFraming};
use falconer_config::{CommonSettings, GlobalSettings, GoDuration, OutputEntry};
use falconer_core::{Alert, BuildContext, Output, Retry, SendError};
use falconer_testkit::{enriched, DeliveryHarness, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

async fn build(settings: serde_json::Value) -> Arc<dyn Output> {
    let entry = OutputEntry {
        name: "syslog".into(),
        kind: "syslog".into(),
        path: "syslog".into(),
        common: CommonSettings::default(),
        settings,
    };
    falconer_outputs_stream::syslog::KIND
        .prepare(&entry)
        .expect("valid config")
        .build(BuildContext {
            name: "syslog".into(),
            path: "syslog".into(),
            global: Arc::new(GlobalSettings::default()),
            resources: falconer_core::Resources::default(),
        })
        .await
        .expect("builds")
}

fn local_hostname() -> String {
    hostname::get()
        .expect("hostname")
        .into_string()
        .expect("UTF-8 hostname")
}

/// An alert whose rule, output and fields need every CEF escape.
fn nasty_alert() -> Arc<Alert> {
    let json = json!({
        "output": "a=b c\\d e|f\nline two",
        "priority": "Error",
        "rule": "Pipe | rule\\x",
        "time": "2024-05-14T10:00:00.5Z",
        "source": "syscalls",
        "output_fields": {"proc.cmdline": "sh -c 'x=1 | y'"}
    });
    enriched(&json.to_string(), 9)
}

#[tokio::test]
async fn udp_sends_falcosidekicks_go_log_syslog_datagram() {
    let rx = Receiver::udp().await;
    let out =
        build(json!({"host": "127.0.0.1", "port": rx.port().to_string(), "protocol": "udp"})).await;
    let a = enriched(CONFIGMAP_ALERT, 1);
    out.send(std::slice::from_ref(&a)).await.expect("sent");
    let got = rx.wait_for(1, WAIT).await;
    let datagram = &got[0].bytes;
    assert_eq!(
        datagram.last(),
        Some(&b'\n'),
        "Go's log/syslog ends the line"
    );
    let m = parse_3164(&datagram[..datagram.len() - 1]);
    assert_eq!(
        (m.facility, m.severity),
        (0, 4),
        "kern.warning, as falcosidekick"
    );
    assert_eq!(m.timestamp, "2024-05-14T09:21:07Z");
    assert_eq!(m.hostname, local_hostname());
    assert_eq!((m.tag.as_str(), m.pid), ("Falco", std::process::id()));
    assert_eq!(m.msg.as_bytes(), a.to_json(), "the payload JSON");
}

#[tokio::test]
async fn udp_5424_cef_datagrams_one_per_alert() {
    let rx = Receiver::udp().await;
    let out = build(
        json!({"host": "127.0.0.1", "port": rx.port(), "protocol": "udp",
        "rfc": "5424", "format": "cef", "facility": "local0"}),
    )
    .await;
    out.send(&[nasty_alert(), enriched(SHELL_ALERT, 2)])
        .await
        .expect("sent");
    let got = rx.wait_for(2, WAIT).await;
    let first = parse_5424(&got[0].bytes);
    assert_eq!((first.facility, first.severity), (16, 3));
    assert_eq!(first.timestamp, "2024-05-14T10:00:00.5Z");
    let cef = parse_cef(&first.msg);
    assert_eq!(
        (cef.name.as_str(), cef.severity.as_str()),
        ("Pipe | rule\\x", "7")
    );
    assert_eq!(cef.get("msg"), Some("a=b c\\d e|f\nline two"));
    assert_eq!(
        cef.get("outputfields"),
        Some("proc.cmdline:sh -c 'x=1 | y'")
    );
    let second = parse_5424(&got[1].bytes);
    assert_eq!(second.severity, 5);
    assert_eq!(parse_cef(&second.msg).name, "Terminal shell in container");
}

#[tokio::test]
async fn tcp_newline_frames_a_batch_on_one_persistent_connection() {
    let rx = Receiver::tcp(StreamFraming::Newline, None).await;
    let out = build(
        json!({"host": "127.0.0.1", "port": rx.port(), "protocol": "tcp",
        "format": "cef", "rfc": 3164}),
    )
    .await;
    out.send(&[nasty_alert(), enriched(SHELL_ALERT, 2)])
        .await
        .expect("sent");
    out.send(&[enriched(CONFIGMAP_ALERT, 3)])
        .await
        .expect("sent");
    let got = rx.wait_for(3, WAIT).await;
    assert_eq!(rx.connections(), 1, "one connection for every alert");
    assert!(got.iter().all(|f| f.conn == 0));
    let m = parse_3164(&got[0].bytes);
    assert_eq!(
        (m.severity, m.timestamp.as_str()),
        (3, "2024-05-14T10:00:00Z")
    );
    let cef = parse_cef(&m.msg);
    assert_eq!(
        cef.get("msg"),
        Some("a=b c\\d e|f\nline two"),
        "the newline survives escaped"
    );
    assert_eq!(
        cef.get("uuid"),
        Some("00000000-0000-0000-0000-000000000009")
    );
    let uuids: Vec<String> = got
        .iter()
        .map(|f| {
            parse_cef(&parse_3164(&f.bytes).msg)
                .get("uuid")
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        uuids[1..],
        [
            "00000000-0000-0000-0000-000000000002",
            "00000000-0000-0000-0000-000000000003"
        ]
    );
}

#[tokio::test]
async fn tcp_octet_counting_frames_5424_messages() {
    let rx = Receiver::tcp(StreamFraming::Octet, None).await;
    let out = build(
        json!({"host": "127.0.0.1", "port": rx.port(), "protocol": "tcp",
        "rfc": "5424", "framing": "octet"}),
    )
    .await;
    let batch = [
        enriched(CONFIGMAP_ALERT, 1),
        nasty_alert(),
        enriched(SHELL_ALERT, 2),
    ];
    out.send(&batch).await.expect("sent");
    let got = rx.wait_for(3, WAIT).await;
    for (frame, a) in got.iter().zip(&batch) {
        let m = parse_5424(&frame.bytes);
        assert_eq!(m.msg.as_bytes(), a.to_json());
        assert_eq!((m.app_name.as_str(), m.msgid.as_str()), ("Falco", "-"));
        assert_eq!(m.procid, std::process::id().to_string());
        assert_eq!(m.hostname, local_hostname());
    }
    assert_eq!(rx.connections(), 1);
}

#[tokio::test]
async fn a_connection_the_receiver_closed_is_replaced_before_the_next_write() {
    // The receiver closes every connection after one frame.
    let rx = Receiver::tcp(StreamFraming::Newline, Some(1)).await;
    let out = build(json!({"host": "127.0.0.1", "port": rx.port(), "protocol": "tcp"})).await;
    for n in 0..3u128 {
        out.send(&[enriched(CONFIGMAP_ALERT, n)])
            .await
            .expect("sent");
        rx.wait_for(usize::try_from(n).unwrap() + 1, WAIT).await;
        // Let the close reach the client before the next alert.
        rx.wait_until(WAIT, || rx.closed() > usize::try_from(n).unwrap())
            .await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = rx.frames();
    assert_eq!(got.len(), 3, "no alert written into a closed connection");
    assert_eq!(
        got.iter().map(|f| f.conn).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert_eq!(rx.connections(), 3);
}

#[tokio::test]
async fn a_receiver_that_is_down_is_a_connection_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = build(json!({"host": "127.0.0.1", "port": port, "protocol": "tcp"})).await;
    let e = out.send(&[enriched(CONFIGMAP_ALERT, 1)]).await.unwrap_err();
    assert!(matches!(e, SendError::Connect(_)), "{e:?}");
    assert_eq!((e.retry(), e.label()), (Retry::Backoff, "connect"));
    assert!(out.healthcheck().await.is_err());
}

#[tokio::test]
async fn through_the_dispatcher_alerts_wait_for_the_receiver_and_arrive_in_order() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let mut common = CommonSettings::default();
    common.retry.initialbackoff = Some(GoDuration(Duration::from_millis(50)));
    common.retry.maxbackoff = Some(GoDuration(Duration::from_millis(100)));
    common.retry.maxattempts = Some(100);
    common.breaker.cooldown = GoDuration(Duration::from_millis(200));
    let syslog = UnderTest::new(
        falconer_outputs_stream::syslog::KIND,
        "siem",
        json!({"host": "127.0.0.1", "port": addr.port(), "protocol": "tcp", "rfc": "5424", "framing": "octet"}),
    )
    .common(common);
    let env = DeliveryHarness::start(vec![syslog], GlobalSettings::default()).await;
    for n in 0..30 {
        env.dispatcher.dispatch(enriched(SHELL_ALERT, n)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        env.metric(r#"falconer_output_errors_total{error="connect",kind="syslog",output="siem"}"#)
            >= 1.0,
        "attempts failed while the receiver was down"
    );
    let rx = Receiver::tcp_on(addr, StreamFraming::Octet).await;
    let got = rx.wait_for(30, WAIT).await;
    env.dispatcher.shutdown(WAIT).await;
    let uuids: Vec<String> = got
        .iter()
        .map(|f| {
            let m = parse_5424(&f.bytes);
            let v: serde_json::Value = serde_json::from_str(&m.msg).unwrap();
            v["uuid"].as_str().unwrap().to_owned()
        })
        .collect();
    let want: Vec<String> = (0..30)
        .map(|n| uuid::Uuid::from_u128(n).to_string())
        .collect();
    assert_eq!(uuids, want, "every alert once, in order");
    assert_eq!(rx.connections(), 1);
    assert_eq!(
        env.metric(
            r#"falcosecurity_falcosidekick_outputs_total{destination="syslog",status="ok"}"#
        ),
        30.0
    );
    assert!(env.dead_letters().is_empty());
}
