//! The smtp output against a real SMTP server (aiosmtpd) on loopback: what arrives, AUTH,
//! STARTTLS and implicit TLS with a test certificate, a pooled connection, 451 retried,
//! 550 kept as a dead letter, digests.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::{CommonSettings, GlobalSettings, GoDuration, OutputEntry};
use falconer_core::{Alert, BuildContext, Output, SendError};
use falconer_testkit::{
    enriched, DeliveryHarness, SmtpOptions, SmtpServer, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT,
};
use mail_parser::MessageParser;
use serde_json::{json, Value};

#[path = "smtp/conformance.rs"]
mod conformance;

const WAIT: Duration = Duration::from_secs(20);

fn alert(json: &str, n: u128) -> Arc<Alert> {
    enriched(json, n)
}

fn settings(server: &SmtpServer, extra: Value) -> Value {
    let mut s = json!({
        "hostport": format!("127.0.0.1:{}", server.port()),
        "tls": false,
        "from": "Falco <falco@example.com>",
        "to": "secops@example.com, oncall@example.com",
    });
    if let (Some(s), Value::Object(extra)) = (s.as_object_mut(), extra) {
        s.extend(extra);
    }
    s
}

fn entry(settings: Value, common: CommonSettings) -> OutputEntry {
    OutputEntry {
        name: "mail".into(),
        kind: "smtp".into(),
        path: "smtp".into(),
        common,
        settings,
    }
}

async fn build_with(settings: Value, global: GlobalSettings) -> Arc<dyn Output> {
    falconer_output_smtp::KIND
        .prepare(&entry(settings, CommonSettings::default()))
        .expect("valid settings")
        .build(BuildContext {
            name: "mail".into(),
            path: "smtp".into(),
            global: Arc::new(global),
            resources: falconer_core::Resources::default(),
        })
        .await
        .expect("builds")
}

async fn build(settings: Value) -> Arc<dyn Output> {
    build_with(settings, GlobalSettings::default()).await
}

/// A self-signed certificate for 127.0.0.1 and localhost: (cert file, key file, folder).
fn certificate() -> (std::path::PathBuf, std::path::PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
            .expect("certificate");
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).expect("write cert");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write key");
    (cert, key, dir)
}

#[tokio::test]
async fn a_multipart_mail_reaches_every_recipient_with_its_fields() {
    let server = SmtpServer::start(SmtpOptions::default()).await;
    let output = build(settings(&server, json!({}))).await;
    output
        .send(&[alert(CONFIGMAP_ALERT, 7)])
        .await
        .expect("accepted");

    let mails = server.wait_for(1, WAIT).await;
    let mail = &mails[0];
    assert_eq!(mail.mail_from, "falco@example.com");
    assert_eq!(mail.rcpt_tos, ["secops@example.com", "oncall@example.com"]);
    assert!(!mail.tls && !mail.authenticated);
    let m = MessageParser::default()
        .parse(&mail.data)
        .expect("RFC 5322");
    assert_eq!(
        m.subject(),
        Some("[Warning] 09:21:07.418790000: Warning K8s configmap with private credential (user=minikube-user verb=create resource=configmaps configmap=aws-creds)")
    );
    assert_eq!(
        m.message_id(),
        Some("00000000-0000-0000-0000-000000000007@falconer")
    );
    assert!(m.date().is_some());
    assert_eq!(m.text_body_count(), 1);
    assert_eq!(m.html_body_count(), 1);
    let text = m.body_text(0).expect("text part");
    assert!(text.contains("Rule: Create/Modify Configmap With Private Credentials"));
    assert!(text.contains("ka.req.configmap.name: aws-creds"));
    assert!(text.contains("evt.time: 1715678467418790000"));
    let html = m.body_html(0).expect("html part");
    assert!(html.contains("background-color:#ffff00;\">Warning</td>"));
    assert!(html.contains("<tr><th>ka.user.name</th><td>minikube-user</td></tr>"));
}

#[tokio::test]
async fn successive_mails_reuse_pooled_connections() {
    let server = SmtpServer::start(SmtpOptions::default()).await;
    let output = build(settings(&server, json!({"outputformat": "text"}))).await;
    for n in 1..=5 {
        output
            .send(&[alert(SHELL_ALERT, n)])
            .await
            .expect("accepted");
        // Paced like alerts, not a burst: the connection is back in the pool in between.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mails = server.wait_for(5, WAIT).await;
    let connections: std::collections::BTreeSet<_> = mails.iter().map(|m| m.peer.clone()).collect();
    assert!(
        connections.len() < mails.len(),
        "a connection per mail: {connections:?}"
    );
}

#[tokio::test]
async fn auth_plain_and_login_against_a_server_that_requires_it() {
    let auth = Some(("falco".to_owned(), "s3cret".to_owned()));
    for mechanism in ["plain", "login"] {
        let server = SmtpServer::start(SmtpOptions {
            auth: auth.clone(),
            ..SmtpOptions::default()
        })
        .await;
        let output = build(settings(
            &server,
            json!({"authmechanism": mechanism, "user": "falco", "password": "s3cret"}),
        ))
        .await;
        output
            .send(&[alert(SHELL_ALERT, 1)])
            .await
            .unwrap_or_else(|e| panic!("{mechanism}: {e}"));
        let mails = server.wait_for(1, WAIT).await;
        assert!(mails[0].authenticated, "{mechanism}");

        // A wrong password is a permanent refusal: not retried, kept with the server's words.
        let wrong = build(settings(
            &server,
            json!({"authmechanism": mechanism, "user": "falco", "password": "nope"}),
        ))
        .await;
        match wrong.send(&[alert(SHELL_ALERT, 2)]).await {
            Err(SendError::Rejected(reason)) => assert!(reason.contains("535"), "{reason}"),
            other => panic!("{mechanism}: expected a 535 refusal, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn starttls_and_implicit_tls_with_a_custom_ca() {
    let (cert, key, _dir) = certificate();
    let mut global = GlobalSettings::default();
    global.tlsclient.cacertfile = cert.display().to_string();
    for (implicit, mode) in [(false, "starttls"), (true, "implicit")] {
        let server = SmtpServer::start(SmtpOptions {
            tls: Some((cert.clone(), key.clone())),
            implicit_tls: implicit,
            ..SmtpOptions::default()
        })
        .await;
        let output = build_with(settings(&server, json!({"tlsmode": mode})), global.clone()).await;
        output
            .send(&[alert(SHELL_ALERT, 1)])
            .await
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        let mails = server.wait_for(1, WAIT).await;
        assert!(mails[0].tls, "{mode}: the session was encrypted");

        // Without the CA, the self-signed certificate is refused...
        let untrusted = build(settings(&server, json!({"tlsmode": mode}))).await;
        assert!(
            untrusted.send(&[alert(SHELL_ALERT, 2)]).await.is_err(),
            "{mode}: an unknown CA must fail"
        );
        // ...unless checkcert is off.
        let unchecked = build(settings(
            &server,
            json!({"tlsmode": mode, "checkcert": false}),
        ))
        .await;
        unchecked
            .send(&[alert(SHELL_ALERT, 3)])
            .await
            .unwrap_or_else(|e| panic!("{mode} without checkcert: {e}"));
    }
}

#[tokio::test]
async fn mutual_tls_presents_the_configured_client_certificate() {
    let pki = falconer_testkit::TestPki::new();
    let server = SmtpServer::start(SmtpOptions {
        tls: Some((pki.server().cert, pki.server().key)),
        client_ca: Some(pki.ca()),
        ..SmtpOptions::default()
    })
    .await;
    let mut global = GlobalSettings::default();
    global.mutualtlsclient.certfile = pki.client().cert.display().to_string();
    global.mutualtlsclient.keyfile = pki.client().key.display().to_string();
    global.mutualtlsclient.cacertfile = pki.ca().display().to_string();
    let with_cert = build_with(
        settings(&server, json!({"tlsmode": "starttls", "mutualtls": true})),
        global.clone(),
    )
    .await;
    with_cert
        .send(&[alert(SHELL_ALERT, 1)])
        .await
        .expect("a client certificate of the CA is accepted");
    assert!(server.wait_for(1, WAIT).await[0].tls);
    // Trusting the server but presenting no certificate: the server refuses the session.
    global.tlsclient.cacertfile = pki.ca().display().to_string();
    let without = build_with(settings(&server, json!({"tlsmode": "starttls"})), global).await;
    assert!(without.send(&[alert(SHELL_ALERT, 2)]).await.is_err());
    assert_eq!(server.mails().len(), 1);
}

/// The output behind the real delivery core, with a dead-letter store.
async fn delivery(settings: Value) -> DeliveryHarness {
    let mut common = CommonSettings::default();
    common.retry.initialbackoff = Some(GoDuration(Duration::from_millis(20)));
    common.retry.maxbackoff = Some(GoDuration(Duration::from_millis(100)));
    let mail = UnderTest::new(falconer_output_smtp::KIND, "mail", settings).common(common);
    DeliveryHarness::start(vec![mail], GlobalSettings::default()).await
}

#[tokio::test]
async fn a_451_is_retried_and_delivered_once() {
    let server = SmtpServer::start(SmtpOptions {
        data_replies: vec!["451 4.3.0 Try again later".into()],
        ..SmtpOptions::default()
    })
    .await;
    let d = delivery(settings(&server, json!({}))).await;
    d.dispatcher.dispatch(alert(SHELL_ALERT, 1)).await;
    d.dispatcher.shutdown(WAIT).await;
    assert_eq!(server.mails().len(), 1);
    assert_eq!(server.data_attempts(), 2);
    assert_eq!(
        d.metric(r#"falconer_output_retries_total{kind="smtp",output="mail"}"#),
        1.0
    );
    assert_eq!(
        d.metric(r#"falcosecurity_falcosidekick_outputs_total{destination="smtp",status="ok"}"#),
        1.0
    );
    assert!(d.dead_letters().is_empty());
}

#[tokio::test]
async fn a_550_recipient_is_not_retried_and_becomes_a_dead_letter() {
    let server = SmtpServer::start(SmtpOptions {
        reject: vec!["gone@example.com".into()],
        ..SmtpOptions::default()
    })
    .await;
    let d = delivery(settings(
        &server,
        json!({"to": "secops@example.com, gone@example.com"}),
    ))
    .await;
    d.dispatcher.dispatch(alert(SHELL_ALERT, 5)).await;
    d.dispatcher.shutdown(WAIT).await;
    assert!(server.mails().is_empty());
    assert_eq!(server.data_attempts(), 0, "refused at RCPT, never retried");
    let letters = d.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "rejected");
    assert_eq!(letters[0].meta.attempts, 1);
    assert!(
        letters[0].meta.error.contains("550") && letters[0].meta.error.contains("User unknown"),
        "{}",
        letters[0].meta.error
    );
    assert_eq!(
        d.metric(r#"falconer_output_attempts_total{kind="smtp",output="mail"}"#),
        1.0
    );
}

#[tokio::test]
async fn a_digest_sends_one_mail_for_many_alerts() {
    let server = SmtpServer::start(SmtpOptions::default()).await;
    let d = delivery(settings(
        &server,
        json!({"digest": {"window": "10s", "max": 4}}),
    ))
    .await;
    // 4 alerts fill a digest at once; the fifth waits for the window, cut short by shutdown.
    for n in 1..=5 {
        d.dispatcher.dispatch(alert(SHELL_ALERT, n)).await;
    }
    let mails = server.wait_for(1, WAIT).await;
    let m = MessageParser::default()
        .parse(&mails[0].data)
        .expect("mail");
    assert_eq!(
        m.subject(),
        Some("[Notice] 4 Falco alerts: Terminal shell in container …")
    );
    let text = m.body_text(0).expect("text");
    for n in 1..=4 {
        assert!(text.contains(&format!("UUID: 00000000-0000-0000-0000-00000000000{n}")));
    }
    d.dispatcher.shutdown(WAIT).await;
    let mails = server.mails();
    assert_eq!(mails.len(), 2, "the partial digest is sent at shutdown");
    let last = MessageParser::default()
        .parse(&mails[1].data)
        .expect("mail");
    assert!(last
        .body_text(0)
        .expect("text")
        .contains("UUID: 00000000-0000-0000-0000-000000000005"));
}
