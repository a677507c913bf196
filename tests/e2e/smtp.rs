//! The smtp output through the binary, configured the falcosidekick way (a `smtp:` block and
//! `SMTP_*` environment variables), against a real SMTP server.

use std::time::Duration;

use falconer_testkit::{SmtpOptions, SmtpServer, CONFIGMAP_ALERT};

use crate::harness::Falconer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_falcosidekick_smtp_block_delivers_a_mail() {
    let server = SmtpServer::start(SmtpOptions::default()).await;
    let yaml = "smtp:\n  tls: false\n  from: falco@example.com\n  minimumpriority: warning\n";
    let hostport = format!("127.0.0.1:{}", server.port());
    let f = Falconer::start(
        yaml,
        &[
            ("SMTP_HOSTPORT", &hostport),
            ("SMTP_TO", "secops@example.com"),
        ],
    )
    .await;
    assert_eq!(f.post("/", CONFIGMAP_ALERT).await.0, 200);
    let mails = server.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mails[0].rcpt_tos, ["secops@example.com"]);
    let text = String::from_utf8_lossy(&mails[0].data);
    assert!(
        text.contains("Subject: [Warning] 09:21:07.418790000: Warning K8s configmap"),
        "{text}"
    );
    let metrics = f.metrics().await;
    assert!(
        metrics.contains(
            r#"falcosecurity_falcosidekick_outputs_total{destination="smtp",status="ok"} 1"#
        ),
        "{metrics}"
    );
}
