//! Fault injection through the real webhook output and a real HTTP sink: retries, Retry-After,
//! refusals kept as dead letters, and a hanging destination that does not slow another one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use falconer_config::{CommonSettings, GlobalSettings, GoDuration, OutputEntry};
use falconer_core::{
    read_dead_letters, Alert, BuildContext, BuiltOutput, DeadLetterRecord, DeadLetters, Dispatcher,
    DEAD_LETTER_FILE,
};
use falconer_event::{EnrichSettings, Enricher};
use falconer_metrics::Metrics;
use falconer_testkit::{RecordingSink, Reply, CONFIGMAP_ALERT};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

struct Env {
    metrics: Metrics,
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Env {
            metrics: Metrics::new(&[]).expect("metrics").0,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    async fn output(
        &self,
        name: &str,
        sink: &RecordingSink,
        common: CommonSettings,
    ) -> BuiltOutput {
        let entry = OutputEntry {
            name: name.into(),
            kind: "webhook".into(),
            path: name.into(),
            common,
            settings: json!({ "address": sink.url("/falco") }),
        };
        let output = falconer_output_webhook::KIND
            .prepare(&entry)
            .expect("valid")
            .build(BuildContext {
                name: name.into(),
                path: name.into(),
                global: Arc::new(GlobalSettings::default()),
            })
            .await
            .expect("builds");
        BuiltOutput {
            entry,
            kind: falconer_output_webhook::KIND,
            output,
        }
    }

    fn launch(&self, outputs: Vec<BuiltOutput>) -> Dispatcher {
        let dead = DeadLetters::open(
            self.dir.path(),
            1 << 20,
            2,
            self.metrics.dead_letter_write_errors().clone(),
        )
        .expect("dead-letter store");
        Dispatcher::launch(outputs, &self.metrics, dead, self.dir.path()).expect("launch")
    }

    fn metric(&self, series: &str) -> Option<f64> {
        let text = String::from_utf8(self.metrics.render()).expect("utf-8");
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
    }

    fn dead_letters(&self) -> Vec<DeadLetterRecord> {
        let path = self.dir.path().join(DEAD_LETTER_FILE);
        read_dead_letters(&path)
            .expect("readable")
            .map(|r| r.expect("valid line"))
            .collect()
    }
}

fn settings(attempts: u32) -> CommonSettings {
    let mut c = CommonSettings::default();
    c.retry.maxattempts = Some(attempts);
    c.retry.initialbackoff = Some(GoDuration(Duration::from_millis(20)));
    c.retry.maxbackoff = Some(GoDuration(Duration::from_millis(200)));
    c
}

fn alert(n: u128) -> Arc<Alert> {
    let mut a = Alert::decode(CONFIGMAP_ALERT.as_bytes()).expect("sample alert");
    Enricher::new(&EnrichSettings::default())
        .expect("enricher")
        .enrich(&mut a, uuid::Uuid::from_u128(n));
    Arc::new(a)
}

#[tokio::test]
async fn three_server_errors_then_success_deliver_exactly_once() {
    let env = Env::new();
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(500), Reply::status(500), Reply::status(500)]);
    let d = env.launch(vec![env.output("hook", &sink, settings(5)).await]);
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
        Some(3.0)
    );
    assert_eq!(
        env.metric(&format!("falconer_output_attempts_total{labels}")),
        Some(4.0)
    );
    assert_eq!(
        env.metric(r#"falconer_output_deliveries_total{kind="webhook",output="hook",status="ok"}"#),
        Some(1.0)
    );
    assert_eq!(
        env.metric(
            r#"falconer_output_errors_total{error="http_5xx",kind="webhook",output="hook"}"#
        ),
        Some(3.0)
    );
    assert!(env.dead_letters().is_empty());
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let env = Env::new();
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(429).header("Retry-After", "2")]);
    let d = env.launch(vec![env.output("hook", &sink, settings(5)).await]);
    d.dispatch(alert(2)).await;
    let got = sink.wait_for(2, WAIT).await;
    let gap = got[1].received_at.duration_since(got[0].received_at);
    assert!(gap >= Duration::from_secs(2), "retried after {gap:?}");
    d.shutdown(WAIT).await;
    assert_eq!(sink.requests().len(), 2);
}

#[tokio::test]
async fn a_400_is_not_retried_and_is_kept_with_the_destination_reason() {
    let env = Env::new();
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(400).body("field priority: unknown value \"Loud\"")]);
    let d = env.launch(vec![env.output("hook", &sink, settings(5)).await]);
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
        Some(1.0)
    );
}

#[tokio::test]
async fn a_hanging_destination_times_out_while_another_delivers_everything() {
    let env = Env::new();
    let hanging = RecordingSink::start().await;
    hanging.fallback(Reply::status(200).delay(Duration::from_secs(3600)));
    let healthy = RecordingSink::start().await;
    let mut slow = settings(2);
    slow.timeout = GoDuration(Duration::from_millis(300));
    let d = env.launch(vec![
        env.output("hanging", &hanging, slow).await,
        env.output("healthy", &healthy, settings(5)).await,
    ]);
    for n in 0..20 {
        d.dispatch(alert(100 + n)).await;
    }
    // All 20 reach the healthy sink while the other is still on its first alert.
    healthy.wait_for(20, WAIT).await;
    // The per-attempt timeout fires.
    let started = Instant::now();
    let timeouts =
        r#"falconer_output_errors_total{error="timeout",kind="webhook",output="hanging"}"#;
    while env.metric(timeouts).unwrap_or(0.0) < 1.0 {
        assert!(started.elapsed() < WAIT, "no timeout counted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    d.shutdown(Duration::from_millis(100)).await;
    assert_eq!(healthy.requests().len(), 20);
    // Nothing of the hanging output is lost silently: each alert is a dead letter.
    assert_eq!(env.dead_letters().len(), 20);
}
