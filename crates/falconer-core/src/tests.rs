//! Dispatcher and worker behaviour with scripted outputs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use falconer_config::{CommonSettings, GoDuration, OutputEntry, OverflowPolicy, QueueSettings};
use falconer_event::{Alert, Priority};
use falconer_metrics::Metrics;
use serde::Deserialize;
use tokio::sync::{Mutex, Notify};

use super::*;

/// How a scripted output behaves.
#[derive(Clone, Copy)]
enum Script {
    Accept,
    Hang,
    Fail500,
    Panic,
}

struct Scripted {
    script: Script,
    received: Mutex<Vec<String>>,
    calls: AtomicUsize,
    release: Notify,
}

#[async_trait::async_trait]
impl Output for Scripted {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match self.script {
            Script::Accept => {}
            Script::Hang => {
                self.release.notified().await;
            }
            Script::Fail500 => {
                return Err(SendError::Status {
                    status: http::StatusCode::INTERNAL_SERVER_ERROR,
                    body: "boom".into(),
                    retry_after: None,
                })
            }
            Script::Panic => panic!("output bug"),
        }
        self.received
            .lock()
            .await
            .extend(batch.iter().map(|a| a.rule.clone()));
        Ok(())
    }
}

#[derive(Deserialize)]
struct NoConfig {}

#[async_trait::async_trait]
impl OutputConfig for NoConfig {
    const KIND: &'static str = "scripted";
    const BLOCK: &'static str = "scripted";
    const ENABLED_BY: &'static [&'static str] = &[];
    const DESTINATION: &'static str = "scripted";
    fn validate(&self, _: &mut Vec<(String, String)>) {}
    async fn build(self, _: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        Err(BuildError::new("scripted", "built by the test"))
    }
}

fn scripted(script: Script) -> Arc<Scripted> {
    Arc::new(Scripted {
        script,
        received: Mutex::new(Vec::new()),
        calls: AtomicUsize::new(0),
        release: Notify::new(),
    })
}

fn built(name: &str, output: Arc<Scripted>, common: CommonSettings) -> BuiltOutput {
    BuiltOutput {
        entry: OutputEntry {
            name: name.into(),
            kind: "scripted".into(),
            path: name.into(),
            common,
            settings: serde_json::Value::Null,
        },
        kind: OutputKind::of::<NoConfig>(),
        output,
    }
}

fn common(minimum: &str, capacity: usize, overflow: OverflowPolicy) -> CommonSettings {
    CommonSettings {
        minimumpriority: minimum.into(),
        maxconcurrentrequests: 1,
        timeout: GoDuration(Duration::from_secs(5)),
        queue: QueueSettings { capacity, overflow },
    }
}

fn alert(priority: Priority, rule: &str) -> Arc<Alert> {
    let mut fields = serde_json::Map::new();
    fields.insert("proc.name".into(), "bash".into());
    let time = falconer_event::parse_time("2024-05-14T09:21:07.418790000Z").unwrap();
    Arc::new(Alert::new(
        "out",
        priority,
        rule,
        time,
        fields,
        "syscalls",
        vec![],
        "host",
    ))
}

fn metrics() -> Metrics {
    Metrics::new(&[]).unwrap().0
}

fn metric_text(m: &Metrics) -> String {
    String::from_utf8(m.render()).unwrap()
}

async fn settle(dispatcher: &Dispatcher) {
    let report = dispatcher.shutdown(Duration::from_secs(30)).await;
    assert!(report.undelivered.is_empty(), "{report:?}");
}

#[tokio::test]
async fn minimumpriority_filters_but_test_alert_bypasses() {
    let m = metrics();
    let all = scripted(Script::Accept);
    let critical = scripted(Script::Accept);
    let d = Dispatcher::launch(
        vec![
            built("all", all.clone(), common("", 10, OverflowPolicy::Drop)),
            built(
                "critical",
                critical.clone(),
                common("critical", 10, OverflowPolicy::Drop),
            ),
        ],
        &m,
    );
    assert_eq!(d.dispatch(alert(Priority::Warning, "w")).queued, 1);
    assert_eq!(d.dispatch(alert(Priority::Critical, "c")).queued, 2);
    assert_eq!(
        d.dispatch(alert(Priority::Debug, falconer_event::TEST_RULE))
            .queued,
        2
    );
    settle(&d).await;
    assert_eq!(*all.received.lock().await, vec!["w", "c", "Test rule"]);
    assert_eq!(*critical.received.lock().await, vec!["c", "Test rule"]);
    let t = metric_text(&m);
    assert!(
        t.contains(
            r#"falconer_output_deliveries_total{kind="scripted",output="all",status="ok"} 3"#
        ),
        "{t}"
    );
}

#[tokio::test]
async fn a_full_queue_drops_and_counts_or_rejects() {
    let m = metrics();
    let hang = scripted(Script::Hang);
    let d = Dispatcher::launch(
        vec![built(
            "slow",
            hang.clone(),
            common("", 2, OverflowPolicy::Reject),
        )],
        &m,
    );
    // One alert is taken by the hanging attempt, two fill the queue, the rest overflow.
    d.dispatch(alert(Priority::Error, "a"));
    tokio::time::timeout(Duration::from_secs(5), async {
        while hang.calls.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();
    assert_eq!(d.dispatch(alert(Priority::Error, "b")).queued, 1);
    assert_eq!(d.dispatch(alert(Priority::Error, "c")).queued, 1);
    let overflow = d.dispatch(alert(Priority::Error, "d"));
    assert_eq!(overflow.dropped, 1);
    assert_eq!(overflow.rejected_by.as_deref(), Some("slow"));
    let t = metric_text(&m);
    assert!(
        t.contains(
            r#"falconer_output_dropped_total{kind="scripted",output="slow",reason="queue_full"} 1"#
        ),
        "{t}"
    );
    assert!(
        t.contains(r#"falconer_output_queue_depth{kind="scripted",output="slow"} 2"#),
        "{t}"
    );
    hang.release.notify_waiters();
}

#[tokio::test(start_paused = true)]
async fn a_hanging_output_times_out_without_slowing_the_others() {
    let m = metrics();
    let hang = scripted(Script::Hang);
    let fast = scripted(Script::Accept);
    let mut slow_settings = common("", 100, OverflowPolicy::Drop);
    slow_settings.timeout = GoDuration(Duration::from_secs(2));
    let d = Dispatcher::launch(
        vec![
            built("hang", hang.clone(), slow_settings),
            built("fast", fast.clone(), common("", 100, OverflowPolicy::Drop)),
        ],
        &m,
    );
    for i in 0..50 {
        d.dispatch(alert(Priority::Error, &format!("r{i}")));
    }
    // The healthy output delivers everything while the first attempt of the other hangs.
    tokio::time::timeout(Duration::from_secs(1), async {
        while fast.received.lock().await.len() < 50 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("healthy output unaffected");
    assert_eq!(hang.calls.load(Ordering::SeqCst), 1);
    // Each hanging attempt is cut at 2 s (paused clock: no real waiting).
    tokio::time::sleep(Duration::from_secs(2 * 50 + 1)).await;
    assert_eq!(hang.calls.load(Ordering::SeqCst), 50);
    let t = metric_text(&m);
    assert!(
        t.contains(
            r#"falconer_output_errors_total{error="timeout",kind="scripted",output="hang"} 50"#
        ),
        "{t}"
    );
    assert!(t.contains(r#"falconer_output_dropped_total{kind="scripted",output="hang",reason="delivery_failed"} 50"#));
    assert!(t.contains(
        r#"falconer_output_deliveries_total{kind="scripted",output="fast",status="ok"} 50"#
    ));
}

#[tokio::test]
async fn failures_and_panics_are_counted_not_fatal() {
    let m = metrics();
    let failing = scripted(Script::Fail500);
    let panicking = scripted(Script::Panic);
    let d = Dispatcher::launch(
        vec![
            built(
                "failing",
                failing.clone(),
                common("", 10, OverflowPolicy::Drop),
            ),
            built(
                "panicking",
                panicking.clone(),
                common("", 10, OverflowPolicy::Drop),
            ),
        ],
        &m,
    );
    d.dispatch(alert(Priority::Error, "a"));
    d.dispatch(alert(Priority::Error, "b"));
    settle(&d).await;
    assert_eq!(
        panicking.calls.load(Ordering::SeqCst),
        2,
        "worker survives a panicking attempt"
    );
    let t = metric_text(&m);
    assert!(
        t.contains(
            r#"falcosecurity_falcosidekick_outputs_total{destination="scripted",status="error"} 4"#
        ),
        "{t}"
    );
    assert!(t.contains(
        r#"falconer_output_errors_total{error="http_5xx",kind="scripted",output="failing"} 2"#
    ));
    assert!(t.contains(
        r#"falconer_output_errors_total{error="aborted",kind="scripted",output="panicking"} 2"#
    ));
    assert!(t.contains(r#"falconer_output_in_flight{kind="scripted",output="panicking"} 0"#));
}

#[tokio::test(start_paused = true)]
async fn shutdown_drains_then_reports_what_is_left() {
    let m = metrics();
    let fast = scripted(Script::Accept);
    let hang = scripted(Script::Hang);
    let d = Dispatcher::launch(
        vec![
            built("fast", fast.clone(), common("", 100, OverflowPolicy::Drop)),
            built("hang", hang.clone(), common("", 100, OverflowPolicy::Drop)),
        ],
        &m,
    );
    for i in 0..10 {
        d.dispatch(alert(Priority::Error, &format!("r{i}")));
    }
    assert!(d.not_running().is_empty());
    let report = d.shutdown(Duration::from_millis(500)).await;
    assert_eq!(
        fast.received.lock().await.len(),
        10,
        "the healthy queue drained"
    );
    assert_eq!(report.undelivered, vec![("hang".to_owned(), 10)]);
    assert_eq!(d.not_running(), vec!["fast", "hang"]);
    // Nothing is accepted after shutdown, and that is counted too.
    assert_eq!(d.dispatch(alert(Priority::Error, "late")).dropped, 2);
    let t = metric_text(&m);
    assert!(
        t.contains(
            r#"falconer_output_dropped_total{kind="scripted",output="hang",reason="shutdown"} 10"#
        ),
        "9 queued + 1 after shutdown: {t}"
    );
    assert!(
        t.contains(
            r#"falconer_output_dropped_total{kind="scripted",output="hang",reason="aborted"} 1"#
        ),
        "the attempt in flight: {t}"
    );
}
