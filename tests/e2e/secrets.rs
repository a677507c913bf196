//! Secrets stay secret: a run with known secret values (ingest token, a webhook's
//! Authorization header, an SMTP password read from a file, credentials in a URL) and every
//! failure path that could echo them; then the logs and `check` output are searched for them.
//! Also: outbound requests honour HTTP_PROXY.

use std::time::Duration;

use falconer_testkit::{RecordingSink, Reply, SmtpOptions, SmtpServer, CONFIGMAP_ALERT};

use crate::harness::{check, Falconer, TempDir};

const SECRETS: [&str; 4] = [
    "tok-SECRET-1",
    "hdr-SECRET-2",
    "pw-SECRET-3",
    "url-SECRET-4",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_logs_or_check_output() {
    let sink = RecordingSink::start().await;
    sink.fallback(Reply::status(401).body("bad credentials"));
    let smtp = SmtpServer::start(SmtpOptions {
        auth: Some(("falco".into(), "the-right-one".into())),
        ..SmtpOptions::default()
    })
    .await;
    let dir = TempDir::new("secrets");
    let password_file = dir.0.join("smtp-password");
    std::fs::write(&password_file, "pw-SECRET-3\n").expect("write secret");
    let yaml = format!(
        r#"
debug: true
ingest:
  token: tok-SECRET-1
webhook:
  address: {}
  customheaders:
    Authorization: Bearer hdr-SECRET-2
smtp:
  hostport: 127.0.0.1:{}
  tls: false
  user: falco
  passwordfile: {}
  from: falco@example.com
  to: secops@example.com
  retry:
    maxattempts: 1
"#,
        sink.url("/falco"),
        smtp.port(),
        password_file.display()
    );
    let f = Falconer::start(&yaml, &[]).await;
    let client = reqwest::Client::new();
    // Without the token, with a wrong one, then with the right one.
    for auth in [None, Some("Bearer nope"), Some("Bearer tok-SECRET-1")] {
        let mut request = client.post(f.url("/")).body(CONFIGMAP_ALERT);
        if let Some(value) = auth {
            request = request.header("authorization", value);
        }
        let status = request.send().await.expect("sent").status();
        assert_eq!(
            status,
            if auth == Some("Bearer tok-SECRET-1") {
                200
            } else {
                401
            }
        );
    }
    // The webhook is refused (401, final) and the SMTP login fails (535): both end as dead
    // letters, logged with the destinations' answers.
    sink.wait_for(1, Duration::from_secs(20)).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let metrics = f.metrics().await;
        let dead = |kind: &str| {
            format!(
                r#"falconer_output_dead_letters_total{{kind="{kind}",output="{kind}",reason="rejected"}} 1"#
            )
        };
        if metrics.contains(&dead("smtp")) && metrics.contains(&dead("webhook")) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "failures not recorded: {metrics}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        sink.requests()[0].header("authorization"),
        Some("Bearer hdr-SECRET-2"),
        "the secret is sent where it belongs"
    );
    let (ok, stderr) = f.terminate();
    assert!(ok);
    assert!(
        stderr.contains("535"),
        "the SMTP refusal is logged: {stderr}"
    );
    for secret in SECRETS {
        assert!(!stderr.contains(secret), "{secret} in the log:\n{stderr}");
    }

    let (ok, stdout, stderr) = check(&yaml);
    assert!(ok, "{stdout}{stderr}");
    let broken = format!(
        "{yaml}\noutputs:\n  - name: bad\n    type: webhook\n    address: \"http://user:url-SECRET-4@[::1\"\n"
    );
    let (ok, stdout_broken, stderr_broken) = check(&broken);
    assert!(!ok);
    assert!(
        stdout_broken.contains("outputs[0] (bad).address")
            || stderr_broken.contains("outputs[0] (bad).address")
    );
    for secret in SECRETS {
        for text in [&stdout, &stderr, &stdout_broken, &stderr_broken] {
            assert!(!text.contains(secret), "{secret} in check output:\n{text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_outputs_go_through_the_configured_proxy() {
    let proxy = RecordingSink::start().await;
    // Nothing resolves `falco-sink.invalid`: a request that arrives went through the proxy.
    let yaml = "webhook:\n  address: http://falco-sink.invalid/falco\n";
    let proxy_url = proxy.url("");
    let f = Falconer::start(yaml, &[("HTTP_PROXY", proxy_url.as_str())]).await;
    assert_eq!(f.post("/", CONFIGMAP_ALERT).await.0, 200);
    let got = proxy.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].path, "/falco");
    assert_eq!(got[0].header("host"), Some("falco-sink.invalid"));
}
