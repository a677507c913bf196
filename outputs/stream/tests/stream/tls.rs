//! The syslog output over TLS against a strict loopback receiver with the test PKI: the CA of
//! `tlsclient.cacertfile`, mutual TLS with `mutualtlsfilespath`, an untrusted server refused
//! unless `checkcert: false`, and a reconnect after the receiver closes the session.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{mutual_tls_dir, parse_3164, parse_5424, Receiver, StreamFraming, TlsSetup};
use falconer_config::{CommonSettings, GlobalSettings, OutputEntry};
use falconer_core::{BuildContext, Output, Retry, SendError};
use falconer_testkit::{enriched, TestPki, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

async fn build(settings: serde_json::Value, global: GlobalSettings) -> Arc<dyn Output> {
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
            global: Arc::new(global),
            resources: falconer_core::Resources::default(),
        })
        .await
        .expect("builds")
}

fn trusting(pki: &TestPki) -> GlobalSettings {
    let mut g = GlobalSettings::default();
    g.tlsclient.cacertfile = pki.ca().display().to_string();
    g
}

#[tokio::test]
async fn tls_with_the_configured_ca_delivers_octet_counted_5424() {
    let pki = TestPki::new();
    let rx = Receiver::tls(
        StreamFraming::Octet,
        None,
        TlsSetup {
            pki: &pki,
            require_client_cert: false,
        },
    )
    .await;
    let out = build(
        json!({"host": "127.0.0.1", "port": rx.port(), "protocol": "tls", "rfc": "5424", "framing": "octet"}),
        trusting(&pki),
    )
    .await;
    let batch = [enriched(CONFIGMAP_ALERT, 1), enriched(SHELL_ALERT, 2)];
    out.send(&batch).await.expect("sent");
    out.send(&[enriched(SHELL_ALERT, 3)]).await.expect("sent");
    let got = rx.wait_for(3, WAIT).await;
    for (frame, a) in got.iter().zip(&batch) {
        let m = parse_5424(&frame.bytes);
        assert_eq!(m.msg.as_bytes(), a.to_json());
    }
    assert_eq!(parse_5424(&got[0].bytes).severity, 4);
    assert_eq!(rx.connections(), 1, "one TLS session");
    assert_eq!(rx.client_certs(), vec![false]);
}

#[tokio::test]
async fn mutual_tls_presents_the_client_certificate() {
    let pki = TestPki::new();
    let rx = Receiver::tls(
        StreamFraming::Newline,
        None,
        TlsSetup {
            pki: &pki,
            require_client_cert: true,
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    mutual_tls_dir(&pki, dir.path());
    let g = GlobalSettings {
        mutualtlsfilespath: dir.path().display().to_string(),
        ..GlobalSettings::default()
    };
    // `tcp` + `tls: true` is the same as `protocol: tls`; mutual TLS verifies the server with
    // the mutual-TLS CA even though checkcert is false.
    let out = build(
        json!({"host": "127.0.0.1", "port": rx.port(), "protocol": "tcp", "tls": true,
            "mutualtls": true, "checkcert": false}),
        g,
    )
    .await;
    let a = enriched(CONFIGMAP_ALERT, 1);
    out.send(std::slice::from_ref(&a)).await.expect("sent");
    let got = rx.wait_for(1, WAIT).await;
    let m = parse_3164(&got[0].bytes);
    assert_eq!(m.msg.as_bytes(), a.to_json());
    assert_eq!(rx.client_certs(), vec![true]);

    // A client certificate the receiver does not trust: refused (with TLS 1.3 after the
    // client's handshake; the session settles before it is used, so the attempt fails).
    let other = tempfile::tempdir().unwrap();
    mutual_tls_dir(&pki, other.path());
    std::fs::copy(pki.client_other_ca().cert, other.path().join("client.crt")).unwrap();
    std::fs::copy(pki.client_other_ca().key, other.path().join("client.key")).unwrap();
    let g = GlobalSettings {
        mutualtlsfilespath: other.path().display().to_string(),
        ..GlobalSettings::default()
    };
    let out = build(
        json!({"host": "127.0.0.1", "port": rx.port(), "protocol": "tls", "mutualtls": true}),
        g,
    )
    .await;
    let e = out.send(&[a]).await.unwrap_err();
    assert!(matches!(e, SendError::Connect(_)), "{e:?}");
    rx.wait_until(WAIT, || !rx.handshake_errors().is_empty())
        .await;
    let errors = rx.handshake_errors();
    assert!(errors[0].contains("connection 1"), "{errors:?}");
    assert!(errors[0].contains("UnknownIssuer"), "{errors:?}");
    assert_eq!(
        rx.frames().len(),
        1,
        "nothing accepted without a client certificate"
    );
}

#[tokio::test]
async fn an_untrusted_server_is_refused_unless_checkcert_is_false() {
    let pki = TestPki::new();
    let rx = Receiver::tls(
        StreamFraming::Newline,
        None,
        TlsSetup {
            pki: &pki,
            require_client_cert: false,
        },
    )
    .await;
    let out = build(
        json!({"host": "127.0.0.1", "port": rx.port(), "protocol": "tls"}),
        GlobalSettings::default(),
    )
    .await;
    let e = out.send(&[enriched(CONFIGMAP_ALERT, 1)]).await.unwrap_err();
    assert!(matches!(e, SendError::Connect(_)), "{e:?}");
    assert_eq!(e.retry(), Retry::Backoff);
    assert!(e.to_string().contains("TLS handshake"), "{e}");
    rx.wait_until(WAIT, || !rx.handshake_errors().is_empty())
        .await;
    assert!(
        rx.handshake_errors()[0].contains("UnknownCA"),
        "{:?}",
        rx.handshake_errors()
    );

    let out = build(
        json!({"host": "127.0.0.1", "port": rx.port(), "protocol": "tls", "checkcert": false}),
        GlobalSettings::default(),
    )
    .await;
    out.send(&[enriched(CONFIGMAP_ALERT, 2)])
        .await
        .expect("sent");
    let got = rx.wait_for(1, WAIT).await;
    assert!(parse_3164(&got[0].bytes)
        .msg
        .contains("00000000-0000-0000-0000-000000000002"));
}

#[tokio::test]
async fn a_tls_session_the_receiver_closed_is_replaced() {
    let pki = TestPki::new();
    let rx = Receiver::tls(
        StreamFraming::Newline,
        Some(1),
        TlsSetup {
            pki: &pki,
            require_client_cert: false,
        },
    )
    .await;
    let out = build(
        json!({"host": "127.0.0.1", "port": rx.port(), "protocol": "tls"}),
        trusting(&pki),
    )
    .await;
    out.healthcheck()
        .await
        .expect("the probe opens the session");
    for n in 0..3usize {
        out.send(&[enriched(SHELL_ALERT, n as u128)])
            .await
            .expect("sent");
        rx.wait_for(n + 1, WAIT).await;
        rx.wait_until(WAIT, || rx.closed() > n).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = rx.frames();
    assert_eq!(
        got.iter().map(|f| f.conn).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert_eq!(
        rx.connections(),
        3,
        "the healthcheck's session was used, then replaced twice"
    );
}
