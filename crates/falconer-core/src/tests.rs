//! Dispatcher and worker behaviour with scripted outputs: filtering, overflow, isolation,
//! retries, the breaker, batching, dead letters and the spool.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use falconer_config::{CommonSettings, GoDuration, OutputEntry, OverflowPolicy, QueueSettings};
use falconer_event::{Alert, Priority};
use falconer_metrics::Metrics;
use serde::Deserialize;
use tokio::sync::{Mutex, Notify};

use super::*;

/// What a scripted output does on one call.
#[derive(Clone)]
pub(crate) enum Script {
    Accept,
    Hang,
    Fail(u16),
    Panic,
    /// Refuse the items at these positions with these statuses; accept the others.
    Partial(Vec<(usize, u16)>),
}

pub(crate) struct Scripted {
    script: std::sync::Mutex<VecDeque<Script>>,
    fallback: Script,
    pub(crate) received: Mutex<Vec<String>>,
    /// The payload of every alert accepted, in order.
    payloads: std::sync::Mutex<Vec<bytes::Bytes>>,
    batches: std::sync::Mutex<Vec<usize>>,
    calls: AtomicUsize,
    release: Notify,
    /// (rule, reason) of every alert the core gave up on ([`Output::dropped`]).
    gave_up: std::sync::Mutex<Vec<(String, &'static str)>>,
}

fn status_error(code: u16) -> SendError {
    SendError::Status {
        status: http::StatusCode::from_u16(code).unwrap(),
        body: format!("scripted {code}"),
        retry_after: None,
    }
}

#[async_trait::async_trait]
impl Output for Scripted {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.batches.lock().unwrap().push(batch.len());
        let action = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| self.fallback.clone());
        match action {
            Script::Accept => {
                let mut payloads = self.payloads.lock().unwrap();
                payloads.extend(batch.iter().map(|a| a.json_bytes().clone()));
            }
            Script::Hang => {
                self.release.notified().await;
            }
            Script::Fail(code) => return Err(status_error(code)),
            Script::Panic => panic!("output bug"),
            Script::Partial(failed) => {
                let mut received = self.received.lock().await;
                for (i, a) in batch.iter().enumerate() {
                    if !failed.iter().any(|(f, _)| *f == i) {
                        received.push(a.rule.clone());
                    }
                }
                return Err(SendError::Partial(
                    failed
                        .into_iter()
                        .map(|(i, c)| (i, status_error(c)))
                        .collect(),
                ));
            }
        }
        self.received
            .lock()
            .await
            .extend(batch.iter().map(|a| a.rule.clone()));
        Ok(())
    }

    fn dropped(&self, alerts: &[Arc<Alert>], reason: &'static str) {
        let mut gave_up = self.gave_up.lock().unwrap();
        gave_up.extend(alerts.iter().map(|a| (a.rule.clone(), reason)));
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
    fn validate(&self, _: &mut crate::Problems) {}
    async fn build(self, _: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        Err(BuildError::new("scripted", "built by the test"))
    }
}

/// A batching kind, for the batching tests.
#[derive(Deserialize)]
struct BulkConfig {}

#[async_trait::async_trait]
impl OutputConfig for BulkConfig {
    const KIND: &'static str = "bulk";
    const BLOCK: &'static str = "bulk";
    const ENABLED_BY: &'static [&'static str] = &[];
    const DESTINATION: &'static str = "bulk";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(10, 1 << 20, Duration::from_secs(1));
    fn validate(&self, _: &mut crate::Problems) {}
    async fn build(self, _: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        Err(BuildError::new("bulk", "built by the test"))
    }
}

pub(crate) fn scripted_with(script: Vec<Script>, fallback: Script) -> Arc<Scripted> {
    Arc::new(Scripted {
        script: std::sync::Mutex::new(script.into()),
        fallback,
        received: Mutex::new(Vec::new()),
        payloads: std::sync::Mutex::new(Vec::new()),
        batches: std::sync::Mutex::new(Vec::new()),
        calls: AtomicUsize::new(0),
        release: Notify::new(),
        gave_up: std::sync::Mutex::new(Vec::new()),
    })
}

pub(crate) fn scripted(script: Script) -> Arc<Scripted> {
    scripted_with(Vec::new(), script)
}

pub(crate) fn built(name: &str, output: Arc<Scripted>, common: CommonSettings) -> BuiltOutput {
    built_kind(name, output, common, OutputKind::of::<NoConfig>())
}

pub(crate) fn built_kind(
    name: &str,
    output: Arc<Scripted>,
    common: CommonSettings,
    kind: OutputKind,
) -> BuiltOutput {
    BuiltOutput {
        entry: OutputEntry {
            name: name.into(),
            kind: kind.name.into(),
            path: name.into(),
            common,
            settings: serde_json::Value::Null,
        },
        kind,
        output,
    }
}

pub(crate) fn common(minimum: &str, capacity: usize, overflow: OverflowPolicy) -> CommonSettings {
    CommonSettings {
        minimumpriority: minimum.into(),
        timeout: GoDuration(Duration::from_secs(5)),
        queue: QueueSettings { capacity, overflow },
        ..CommonSettings::default()
    }
}

/// Settings with `attempts` attempts and short backoffs.
fn retrying(attempts: u32) -> CommonSettings {
    let mut c = common("", 100, OverflowPolicy::Drop);
    c.retry.maxattempts = Some(attempts);
    c.retry.initialbackoff = Some(GoDuration(Duration::from_millis(10)));
    c.retry.maxbackoff = Some(GoDuration(Duration::from_millis(100)));
    c
}

pub(crate) fn alert(priority: Priority, rule: &str) -> Arc<Alert> {
    let mut fields = serde_json::Map::new();
    fields.insert("proc.name".into(), "bash".into());
    let time = falconer_event::parse_time("2024-05-14T09:21:07.418790000Z").unwrap();
    let mut a = Alert::new(
        "out",
        priority,
        rule,
        time,
        fields,
        "syscalls",
        vec![],
        "host",
    );
    a.uuid = format!("uuid-{rule}");
    Arc::new(a)
}

/// Metrics, a data directory and its dead-letter store.
pub(crate) struct Env {
    pub(crate) m: Metrics,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) dead: Arc<DeadLetters>,
}

impl Env {
    pub(crate) fn new() -> Self {
        let m = Metrics::new(&[]).unwrap().0;
        let dir = tempfile::tempdir().unwrap();
        let dead = DeadLetters::open(dir.path(), 1 << 20, 3, m.dead_letter_write_errors().clone())
            .unwrap();
        Env { m, dir, dead }
    }

    pub(crate) fn launch(&self, outputs: Vec<BuiltOutput>) -> Dispatcher {
        Dispatcher::launch(outputs, &self.m, self.dead.clone(), self.dir.path()).unwrap()
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.m.render()).unwrap()
    }

    pub(crate) fn has(&self, line: &str) {
        let t = self.text();
        assert!(t.contains(line), "missing {line} in:\n{t}");
    }

    /// Dead letters written so far: (output, reason, attempts, error, uuid).
    pub(crate) async fn dead_letters(&self) -> Vec<(String, String, u32, String, String)> {
        self.dead.flush().await;
        let path = self.dir.path().join(DEAD_LETTER_FILE);
        read_dead_letters(&path)
            .unwrap()
            .map(|r| {
                let r = r.unwrap();
                let alert = r.to_alert().unwrap();
                (
                    r.meta.output,
                    r.meta.reason,
                    r.meta.attempts,
                    r.meta.error,
                    alert.uuid,
                )
            })
            .collect()
    }
}

pub(crate) async fn settle(dispatcher: &Dispatcher) {
    let report = dispatcher.shutdown(Duration::from_secs(30)).await;
    assert!(report.undelivered.is_empty(), "{report:?}");
}

pub(crate) async fn until(what: &str, mut done: impl FnMut() -> bool) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
}

#[tokio::test]
async fn minimumpriority_filters_but_test_alert_bypasses() {
    let env = Env::new();
    let all = scripted(Script::Accept);
    let critical = scripted(Script::Accept);
    let d = env.launch(vec![
        built("all", all.clone(), common("", 10, OverflowPolicy::Drop)),
        built(
            "critical",
            critical.clone(),
            common("critical", 10, OverflowPolicy::Drop),
        ),
    ]);
    assert_eq!(d.dispatch(alert(Priority::Warning, "w")).await.queued, 1);
    assert_eq!(d.dispatch(alert(Priority::Critical, "c")).await.queued, 2);
    let test = alert(Priority::Debug, falconer_event::TEST_RULE);
    assert_eq!(d.dispatch(test).await.queued, 2);
    settle(&d).await;
    assert_eq!(*all.received.lock().await, vec!["w", "c", "Test rule"]);
    assert_eq!(*critical.received.lock().await, vec!["c", "Test rule"]);
    env.has(r#"falconer_output_deliveries_total{kind="scripted",output="all",status="ok"} 3"#);
}

#[tokio::test]
async fn a_full_queue_drops_counts_and_dead_letters_or_rejects() {
    let env = Env::new();
    let hang = scripted(Script::Hang);
    let hang2 = scripted(Script::Hang);
    let d = env.launch(vec![
        built("slow", hang.clone(), common("", 2, OverflowPolicy::Reject)),
        built("lossy", hang2.clone(), common("", 2, OverflowPolicy::Drop)),
    ]);
    // One alert is taken by the hanging attempt, two fill the queue, the rest overflow.
    d.dispatch(alert(Priority::Error, "a")).await;
    until("the first attempts", || {
        hang.calls.load(Ordering::SeqCst) == 1 && hang2.calls.load(Ordering::SeqCst) == 1
    })
    .await;
    assert_eq!(d.dispatch(alert(Priority::Error, "b")).await.queued, 2);
    assert_eq!(d.dispatch(alert(Priority::Error, "c")).await.queued, 2);
    let overflow = d.dispatch(alert(Priority::Error, "d")).await;
    assert_eq!(overflow.dropped, 2);
    assert_eq!(overflow.rejected_by.as_deref(), Some("slow"));
    env.has(
        r#"falconer_output_dropped_total{kind="scripted",output="slow",reason="queue_full"} 1"#,
    );
    env.has(r#"falconer_output_queue_depth{kind="scripted",output="slow"} 2"#);
    // `reject` hands the alert back to the sender (503); `drop` keeps it as a dead letter.
    env.has(r#"falconer_output_dead_letters_total{kind="scripted",output="lossy",reason="queue_full"} 1"#);
    let letters = env.dead_letters().await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(
        (
            letters[0].0.as_str(),
            letters[0].1.as_str(),
            letters[0].4.as_str()
        ),
        ("lossy", "queue_full", "uuid-d")
    );
    // The output hears of what was given up for it, not of what went back to the sender.
    assert_eq!(
        *hang2.gave_up.lock().unwrap(),
        vec![("d".into(), "queue_full")]
    );
    assert!(hang.gave_up.lock().unwrap().is_empty());
    hang.release.notify_waiters();
    hang2.release.notify_waiters();
}

#[tokio::test]
async fn a_long_queue_holds_payloads_and_delivers_the_same_alerts_in_order() {
    let env = Env::new();
    // The first attempt of each output hangs until released; the queues fill behind it.
    let memory = scripted_with(vec![Script::Hang], Script::Accept);
    let spooled = scripted_with(vec![Script::Hang], Script::Accept);
    let mut spool_settings = common("", 1000, OverflowPolicy::Drop);
    spool_settings.spool.enabled = true;
    let d = env.launch(vec![
        built(
            "memory",
            memory.clone(),
            common("", 1000, OverflowPolicy::Drop),
        ),
        built("spooled", spooled.clone(), spool_settings),
    ]);
    let count = held::PACK_AFTER as usize * 3;
    let mut alerts = Vec::new();
    for i in 0..count {
        let mut a = (*alert(Priority::Error, &format!("r{i}"))).clone();
        a.output_fields
            .insert("evt.num".into(), serde_json::json!(i));
        let a = Arc::new(a);
        alerts.push(a.clone());
        assert_eq!(d.dispatch(a).await.queued, 2);
        if i == 0 {
            until("the first attempts", || {
                memory.calls.load(Ordering::SeqCst) == 1
                    && spooled.calls.load(Ordering::SeqCst) == 1
            })
            .await;
        }
    }
    env.has(&format!(
        r#"falconer_output_queue_depth{{kind="scripted",output="memory"}} {}"#,
        count - 1
    ));
    memory.release.notify_waiters();
    spooled.release.notify_waiters();
    settle(&d).await;
    let expected: Vec<String> = (0..count).map(|i| format!("r{i}")).collect();
    for output in [&memory, &spooled] {
        assert_eq!(*output.received.lock().await, expected);
        // Past the first one (sent by the hanging attempt), each accepted alert is the very
        // payload dispatched, packed or not.
        let payloads = output.payloads.lock().unwrap();
        assert_eq!(payloads.len(), count - 1);
        for (sent, alert) in payloads.iter().zip(&alerts[1..]) {
            assert_eq!(sent, alert.json_bytes());
        }
    }
    assert!(env.dead_letters().await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_hanging_output_times_out_without_slowing_the_others() {
    let env = Env::new();
    let hang = scripted(Script::Hang);
    let fast = scripted(Script::Accept);
    let mut slow_settings = retrying(1);
    slow_settings.timeout = GoDuration(Duration::from_secs(2));
    slow_settings.breaker.failures = 0;
    let d = env.launch(vec![
        built("hang", hang.clone(), slow_settings),
        built("fast", fast.clone(), common("", 100, OverflowPolicy::Drop)),
    ]);
    for i in 0..50 {
        d.dispatch(alert(Priority::Error, &format!("r{i}"))).await;
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
    env.has(r#"falconer_output_errors_total{error="timeout",kind="scripted",output="hang"} 50"#);
    env.has(r#"falconer_output_dropped_total{kind="scripted",output="hang",reason="retries_exhausted"} 50"#);
    env.has(r#"falconer_output_deliveries_total{kind="scripted",output="fast",status="ok"} 50"#);
}

#[tokio::test]
async fn panics_are_counted_and_dead_lettered_not_fatal() {
    let env = Env::new();
    let panicking = scripted(Script::Panic);
    let d = env.launch(vec![built(
        "panicking",
        panicking.clone(),
        common("", 10, OverflowPolicy::Drop),
    )]);
    d.dispatch(alert(Priority::Error, "a")).await;
    d.dispatch(alert(Priority::Error, "b")).await;
    settle(&d).await;
    assert_eq!(
        panicking.calls.load(Ordering::SeqCst),
        2,
        "worker survives a panicking attempt"
    );
    env.has(
        r#"falconer_output_dropped_total{kind="scripted",output="panicking",reason="aborted"} 2"#,
    );
    env.has(r#"falconer_output_in_flight{kind="scripted",output="panicking"} 0"#);
    let reasons: Vec<String> = env.dead_letters().await.into_iter().map(|l| l.1).collect();
    assert_eq!(reasons, vec!["aborted", "aborted"]);
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_retried_until_accepted_exactly_once() {
    let env = Env::new();
    let flaky = scripted_with(
        vec![Script::Fail(500), Script::Fail(500), Script::Fail(500)],
        Script::Accept,
    );
    let d = env.launch(vec![built("flaky", flaky.clone(), retrying(5))]);
    d.dispatch(alert(Priority::Error, "x")).await;
    settle(&d).await;
    assert_eq!(*flaky.received.lock().await, vec!["x"]);
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 4);
    env.has(r#"falconer_output_retries_total{kind="scripted",output="flaky"} 3"#);
    env.has(r#"falconer_output_attempts_total{kind="scripted",output="flaky"} 4"#);
    env.has(r#"falconer_output_deliveries_total{kind="scripted",output="flaky",status="ok"} 1"#);
    assert!(env.dead_letters().await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn exhausted_retries_and_refusals_become_dead_letters() {
    let env = Env::new();
    let down = scripted(Script::Fail(503));
    let refusing = scripted(Script::Fail(400));
    let mut down_settings = retrying(3);
    down_settings.breaker.failures = 0;
    let d = env.launch(vec![
        built("down", down.clone(), down_settings),
        built("refusing", refusing.clone(), retrying(3)),
    ]);
    d.dispatch(alert(Priority::Error, "x")).await;
    settle(&d).await;
    assert_eq!(down.calls.load(Ordering::SeqCst), 3);
    assert_eq!(
        refusing.calls.load(Ordering::SeqCst),
        1,
        "a 400 is not retried"
    );
    let mut letters = env.dead_letters().await;
    letters.sort();
    assert_eq!(letters.len(), 2);
    assert_eq!(
        (letters[0].0.as_str(), letters[0].1.as_str(), letters[0].2),
        ("down", "retries_exhausted", 3)
    );
    assert_eq!(
        (letters[1].0.as_str(), letters[1].1.as_str(), letters[1].2),
        ("refusing", "rejected", 1)
    );
    assert!(letters[1].3.contains("scripted 400"), "{:?}", letters[1]);
    env.has(r#"falconer_output_dead_letters_total{kind="scripted",output="down",reason="retries_exhausted"} 1"#);
    assert_eq!(
        *down.gave_up.lock().unwrap(),
        vec![("x".into(), "retries_exhausted")]
    );
    assert_eq!(
        *refusing.gave_up.lock().unwrap(),
        vec![("x".into(), "rejected")]
    );
}

#[tokio::test(start_paused = true)]
async fn the_breaker_holds_attempts_back_and_probes_until_the_destination_is_back() {
    let env = Env::new();
    let flaky = scripted_with(vec![Script::Fail(503); 6], Script::Accept);
    let mut settings = retrying(0);
    settings.breaker.failures = 3;
    settings.breaker.cooldown = GoDuration(Duration::from_secs(60));
    let d = env.launch(vec![built("flaky", flaky.clone(), settings)]);
    d.dispatch(alert(Priority::Error, "x")).await;
    until("the breaker to open", || {
        flaky.calls.load(Ordering::SeqCst) == 3
    })
    .await;
    assert_eq!(d.open_breakers(), vec!["flaky"]);
    env.has(r#"falconer_output_breaker_state{kind="scripted",output="flaky"} 1"#);
    // While open, no attempt for a whole cooldown, then one probe per cooldown.
    tokio::time::sleep(Duration::from_secs(59)).await;
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 3);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 4);
    tokio::time::sleep(Duration::from_secs(3 * 60)).await;
    assert_eq!(
        flaky.calls.load(Ordering::SeqCst),
        7,
        "probes 4, 5, 6 failed, 7 passed"
    );
    assert!(d.open_breakers().is_empty());
    settle(&d).await;
    assert_eq!(*flaky.received.lock().await, vec!["x"]);
    env.has(r#"falconer_output_breaker_state{kind="scripted",output="flaky"} 0"#);
}

#[tokio::test(start_paused = true)]
async fn batches_fill_by_count_linger_flushes_and_partial_failures_retry_one_item() {
    let env = Env::new();
    let bulk = scripted_with(
        vec![
            Script::Accept,
            Script::Accept,
            Script::Partial(vec![(1, 429), (2, 400)]),
        ],
        Script::Accept,
    );
    let mut settings = retrying(3);
    settings.batch.maxevents = Some(10);
    let d = env.launch(vec![built_kind(
        "bulk",
        bulk.clone(),
        settings,
        OutputKind::of::<BulkConfig>(),
    )]);
    for i in 0..25 {
        d.dispatch(alert(Priority::Error, &format!("r{i}"))).await;
    }
    // 25 alerts: two full batches at once, the partial third after the 1 s linger.
    until("two full batches", || {
        bulk.batches.lock().unwrap().len() == 2
    })
    .await;
    assert_eq!(*bulk.batches.lock().unwrap(), vec![10, 10]);
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(bulk.batches.lock().unwrap().len(), 2, "still lingering");
    tokio::time::sleep(Duration::from_millis(200)).await;
    until("the lingering batch", || {
        bulk.batches.lock().unwrap().len() >= 3
    })
    .await;
    settle(&d).await;
    // The third batch (r20..r24) had r21 throttled and r22 refused: only r21 is sent again.
    assert_eq!(*bulk.batches.lock().unwrap(), vec![10, 10, 5, 1]);
    let received = bulk.received.lock().await.clone();
    assert_eq!(received.len(), 24);
    assert_eq!(received.iter().filter(|r| *r == "r21").count(), 1);
    assert!(!received.contains(&"r22".to_owned()));
    let letters = env.dead_letters().await;
    assert_eq!(letters.len(), 1);
    assert_eq!(
        (letters[0].1.as_str(), letters[0].4.as_str()),
        ("rejected", "uuid-r22")
    );
    env.has(r#"falconer_output_deliveries_total{kind="bulk",output="bulk",status="ok"} 24"#);
}

#[tokio::test(start_paused = true)]
async fn shutdown_drains_then_dead_letters_what_is_left() {
    let env = Env::new();
    let fast = scripted(Script::Accept);
    let hang = scripted(Script::Hang);
    let d = env.launch(vec![
        built("fast", fast.clone(), common("", 100, OverflowPolicy::Drop)),
        built("hang", hang.clone(), common("", 100, OverflowPolicy::Drop)),
    ]);
    for i in 0..10 {
        d.dispatch(alert(Priority::Error, &format!("r{i}"))).await;
    }
    assert!(d.not_running().is_empty());
    let report = d.shutdown(Duration::from_millis(500)).await;
    assert_eq!(
        fast.received.lock().await.len(),
        10,
        "the healthy queue drained"
    );
    assert_eq!(report.undelivered, vec![("hang".to_owned(), 10, false)]);
    assert_eq!(d.not_running(), vec!["fast", "hang"]);
    // Nothing is accepted after shutdown: refused to the sender, and counted.
    let late = d.dispatch(alert(Priority::Error, "late")).await;
    assert_eq!(late.dropped, 2);
    assert!(late.rejected_by.is_some());
    env.has(r#"falconer_output_dropped_total{kind="scripted",output="hang",reason="shutdown"} 11"#);
    // 9 queued + 1 in flight became dead letters; the late one went back to its sender.
    let letters = env.dead_letters().await;
    assert_eq!(letters.len(), 10);
    assert!(letters.iter().all(|l| l.0 == "hang" && l.1 == "shutdown"));
}

#[tokio::test]
async fn the_spool_delivers_and_replays_what_was_left_after_a_restart() {
    let env = Env::new();
    let mut settings = common("", 100, OverflowPolicy::Drop);
    settings.spool.enabled = true;
    settings.breaker.failures = 0;
    // First run: the destination hangs; shutdown leaves the alerts in the spool.
    let hang = scripted(Script::Hang);
    let d = env.launch(vec![built("durable", hang.clone(), settings.clone())]);
    for i in 0..20 {
        assert_eq!(
            d.dispatch(alert(Priority::Error, &format!("r{i}")))
                .await
                .queued,
            1
        );
    }
    env.has(r#"falconer_output_spool_bytes{kind="scripted",output="durable"}"#);
    let report = d.shutdown(Duration::from_millis(200)).await;
    assert_eq!(report.undelivered, vec![("durable".to_owned(), 20, true)]);
    assert!(
        env.dead_letters().await.is_empty(),
        "spooled alerts are not dead letters"
    );
    drop(d);

    // Second run: everything is delivered from disk, in order, with the original UUIDs.
    let ok = scripted(Script::Accept);
    let d = env.launch(vec![built("durable", ok.clone(), settings)]);
    until_async(|| async { ok.received.lock().await.len() == 20 }).await;
    let expected: Vec<String> = (0..20).map(|i| format!("r{i}")).collect();
    assert_eq!(*ok.received.lock().await, expected);
    // New alerts take the hot path and are acknowledged too.
    for i in 20..25 {
        d.dispatch(alert(Priority::Error, &format!("r{i}"))).await;
    }
    until_async(|| async { ok.received.lock().await.len() == 25 }).await;
    settle(&d).await;
    env.has(r#"falconer_output_spool_bytes{kind="scripted",output="durable"} 0"#);
    drop(d);
    // Third run: nothing left to replay.
    let again = scripted(Script::Accept);
    let d = env.launch(vec![built("durable", again.clone(), {
        let mut s = common("", 100, OverflowPolicy::Drop);
        s.spool.enabled = true;
        s
    })]);
    settle(&d).await;
    assert!(again.received.lock().await.is_empty());
}

#[tokio::test]
async fn a_spooled_output_forgets_what_it_gave_up_once_the_dead_letters_are_kept() {
    let env = Env::new();
    let mut settings = common("", 100, OverflowPolicy::Drop);
    settings.spool.enabled = true;
    settings.breaker.failures = 0;
    // The destination refuses every alert for good: each becomes a dead letter.
    let refusing = scripted(Script::Fail(400));
    let d = env.launch(vec![built("durable", refusing.clone(), settings.clone())]);
    for i in 0..12 {
        assert_eq!(
            d.dispatch(alert(Priority::Error, &format!("r{i}")))
                .await
                .queued,
            1
        );
    }
    until_async(|| async { env.dead_letters().await.len() == 12 }).await;
    let letters = env.dead_letters().await;
    assert!(letters
        .iter()
        .all(|l| l.0 == "durable" && l.1 == "rejected"));
    // Once the dead letters are synced, the spool lets the alerts go.
    until_async(|| async {
        env.text()
            .contains(r#"falconer_output_spool_bytes{kind="scripted",output="durable"} 0"#)
    })
    .await;
    let report = d.shutdown(Duration::from_millis(200)).await;
    assert!(report.undelivered.is_empty(), "{:?}", report.undelivered);
    drop(d);
    // The next start replays nothing: they are dead letters, not pending alerts.
    let ok = scripted(Script::Accept);
    let d = env.launch(vec![built("durable", ok.clone(), settings)]);
    settle(&d).await;
    assert!(ok.received.lock().await.is_empty());
    assert_eq!(env.dead_letters().await.len(), 12);
}

#[tokio::test]
async fn a_full_spool_applies_the_overflow_policy() {
    let env = Env::new();
    let mut lossy = common("", 100, OverflowPolicy::Drop);
    lossy.spool.enabled = true;
    lossy.spool.maxbytes = 1500; // room for a few alerts only
    let mut strict = lossy.clone();
    strict.queue.overflow = OverflowPolicy::Reject;
    let d = env.launch(vec![
        built("lossy", scripted(Script::Hang), lossy),
        built("strict", scripted(Script::Hang), strict),
    ]);
    let mut refused = 0;
    for i in 0..20 {
        let outcome = d.dispatch(alert(Priority::Error, &format!("r{i}"))).await;
        if outcome.rejected_by.as_deref() == Some("strict") {
            refused += 1;
        }
    }
    assert!(refused > 0 && refused < 20, "{refused}");
    let dead = env.dead_letters().await;
    // `drop` keeps what did not fit as dead letters; `reject` hands it back to the sender.
    assert_eq!(dead.len(), refused, "{dead:?}");
    assert!(dead.iter().all(|l| l.0 == "lossy" && l.1 == "spool_full"));
    env.has(&format!(
        r#"falconer_output_dropped_total{{kind="scripted",output="strict",reason="spool_full"}} {refused}"#
    ));
    d.shutdown(Duration::from_millis(50)).await;
}

#[tokio::test]
async fn dead_letters_can_go_to_another_output() {
    let env = Env::new();
    let refusing = scripted(Script::Fail(400));
    let archive = scripted(Script::Accept);
    let d = env.launch(vec![
        built("refusing", refusing.clone(), retrying(3)),
        built(
            "archive",
            archive.clone(),
            common("critical", 10, OverflowPolicy::Drop),
        ),
    ]);
    d.redirect_dead_letters("archive");
    // Below the archive's minimum priority, so it only gets it as a dead letter.
    d.dispatch(alert(Priority::Warning, "w")).await;
    until_async(|| async { archive.received.lock().await.len() == 1 }).await;
    settle(&d).await;
    assert_eq!(*archive.received.lock().await, vec!["w"]);
    assert!(env.dead_letters().await.is_empty(), "not in the file");
    env.has(r#"falconer_output_dead_letters_total{kind="scripted",output="refusing",reason="rejected"} 1"#);
}

async fn until_async<F, Fut>(mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    tokio::time::timeout(Duration::from_secs(10), async {
        while !done().await {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("condition met in time");
}

#[tokio::test]
async fn what_a_spooled_output_left_becomes_dead_letters_when_it_is_gone_at_the_next_start() {
    let env = Env::new();
    let mut settings = common("", 100, OverflowPolicy::Drop);
    settings.spool.enabled = true;
    settings.breaker.failures = 0;
    let hang = scripted(Script::Hang);
    let d = env.launch(vec![built("gone", hang.clone(), settings)]);
    for i in 0..3 {
        d.dispatch(alert(Priority::Error, &format!("r{i}"))).await;
    }
    let report = d.shutdown(Duration::from_millis(200)).await;
    assert_eq!(report.undelivered, vec![("gone".to_owned(), 3, true)]);
    drop(d);
    // The next start has no `gone`: its alerts are not left on disk unseen.
    let ok = scripted(Script::Accept);
    let d = env.launch(vec![built(
        "other",
        ok.clone(),
        common("", 100, OverflowPolicy::Drop),
    )]);
    settle(&d).await;
    let letters: Vec<(String, String, String)> = env
        .dead_letters()
        .await
        .into_iter()
        .map(|(output, reason, _, _, uuid)| (output, reason, uuid))
        .collect();
    let expected: Vec<(String, String, String)> = (0..3)
        .map(|i| ("gone".into(), "output_removed".into(), format!("uuid-r{i}")))
        .collect();
    assert_eq!(letters, expected);
    drop(d);
    // Handed back once: a third start finds nothing left.
    let d = env.launch(vec![]);
    settle(&d).await;
    assert_eq!(env.dead_letters().await.len(), 3);
}
