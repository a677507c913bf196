//! The alert policy applied by the dispatcher (routes, match, silences, throttle summaries)
//! and live reload (kept, replaced, added and removed outputs; a refused configuration).

use std::sync::Arc;
use std::time::Duration;

use falconer_config::{
    CommonSettings, GlobalSettings, GoDuration, OutputEntry, OverflowPolicy, RouteSettings,
    ThrottleSettings,
};
use falconer_event::{Alert, Priority};
use falconer_policy::{Policy, Silence, Silences};
use serde::Deserialize;

use crate::tests::{alert, common, settle, until, Env};
use crate::*;

/// Keeps every alert it is sent.
#[derive(Default)]
struct Recorder {
    got: std::sync::Mutex<Vec<Arc<Alert>>>,
    /// Answers 503 to everything while set.
    down: std::sync::atomic::AtomicBool,
}

impl Recorder {
    fn rules(&self) -> Vec<String> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|a| a.rule.clone())
            .collect()
    }

    fn alerts(&self) -> Vec<Arc<Alert>> {
        self.got.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl Output for Recorder {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(SendError::Status {
                status: http::StatusCode::SERVICE_UNAVAILABLE,
                body: "down".into(),
                retry_after: None,
            });
        }
        self.got.lock().unwrap().extend(batch.iter().cloned());
        Ok(())
    }
}

#[derive(Deserialize)]
struct PlainKind {}

#[async_trait::async_trait]
impl OutputConfig for PlainKind {
    const KIND: &'static str = "plain";
    const BLOCK: &'static str = "plain";
    const ENABLED_BY: &'static [&'static str] = &[];
    const DESTINATION: &'static str = "plain";
    fn validate(&self, _: &mut crate::Problems) {}
    async fn build(self, _: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        Err(BuildError::new("plain", "built by the test"))
    }
}

/// Stands for the event store: the kind that keeps silenced alerts.
#[derive(Deserialize)]
struct StoreKind {}

#[async_trait::async_trait]
impl OutputConfig for StoreKind {
    const KIND: &'static str = "webui";
    const BLOCK: &'static str = "webui";
    const ENABLED_BY: &'static [&'static str] = &[];
    const DESTINATION: &'static str = "webui";
    fn validate(&self, _: &mut crate::Problems) {}
    async fn build(self, _: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        Err(BuildError::new("webui", "built by the test"))
    }
}

fn entry(name: &str, kind: &str, common: CommonSettings) -> OutputEntry {
    OutputEntry {
        name: name.into(),
        kind: kind.into(),
        path: name.into(),
        common,
        settings: serde_json::Value::Null,
    }
}

fn plain(name: &str, out: &Arc<Recorder>, common: CommonSettings) -> BuiltOutput {
    BuiltOutput {
        entry: entry(name, "plain", common),
        kind: OutputKind::of::<PlainKind>(),
        output: out.clone(),
    }
}

fn queue() -> CommonSettings {
    common("", 100, OverflowPolicy::Drop)
}

fn launch(env: &Env, built: Vec<BuiltOutput>, global: &GlobalSettings) -> Dispatcher {
    let entries: Vec<OutputEntry> = built.iter().map(|b| b.entry.clone()).collect();
    let policy = Policy::compile_for(&entries, global, chrono::Utc::now()).expect("policy");
    Dispatcher::launch_with(
        built,
        policy,
        global,
        &env.m,
        env.dead.clone(),
        env.dir.path(),
    )
    .expect("launch")
}

fn route(condition: &str, outputs: &[&str]) -> RouteSettings {
    RouteSettings {
        condition: condition.into(),
        outputs: outputs.iter().map(|s| (*s).to_owned()).collect(),
        ..RouteSettings::default()
    }
}

#[tokio::test]
async fn routes_send_each_alert_only_where_it_belongs() {
    let env = Env::new();
    let (pager, secops, archive, k8s) = (
        Arc::new(Recorder::default()),
        Arc::new(Recorder::default()),
        Arc::new(Recorder::default()),
        Arc::new(Recorder::default()),
    );
    let mut k8s_common = queue();
    k8s_common.condition = "source = syscalls and proc.name in (bash, sh)".into();
    let global = GlobalSettings {
        routes: vec![route("priority >= critical", &["pager"])],
        defaultroute: vec!["secops".into()],
        ..GlobalSettings::default()
    };
    let d = launch(
        &env,
        vec![
            plain("pager", &pager, queue()),
            plain("secops", &secops, queue()),
            plain("archive", &archive, queue()),
            plain("k8s", &k8s, k8s_common),
        ],
        &global,
    );
    d.dispatch(alert(Priority::Critical, "crit")).await;
    d.dispatch(alert(Priority::Notice, "notice")).await;
    settle(&d).await;
    assert_eq!(pager.rules(), ["crit"]);
    assert_eq!(secops.rules(), ["notice"], "defaultroute: no route matched");
    assert_eq!(
        archive.rules(),
        ["crit", "notice"],
        "named nowhere: every alert"
    );
    assert_eq!(k8s.rules(), ["crit", "notice"], "its match holds for both");
}

#[tokio::test]
async fn a_silence_holds_alerts_back_but_the_event_store_keeps_them_marked() {
    let env = Env::new();
    let (chat, store) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
    let d = launch(
        &env,
        vec![
            plain("chat", &chat, queue()),
            BuiltOutput {
                entry: entry("ui", "webui", queue()),
                kind: OutputKind::of::<StoreKind>(),
                output: store.clone(),
            },
        ],
        &GlobalSettings::default(),
    );
    let now = chrono::Utc::now();
    let silence = Silence::new(
        "s-1".into(),
        r#"rule = "known job""#,
        "",
        &(now + chrono::Duration::hours(1)).to_rfc3339(),
        "ops",
        "nightly backup",
        now,
    )
    .expect("silence");
    d.set_api_silences(Silences::new(vec![silence]));
    d.dispatch(alert(Priority::Warning, "known job")).await;
    d.dispatch(alert(Priority::Warning, "other")).await;
    settle(&d).await;
    assert_eq!(chat.rules(), ["other"]);
    let kept = store.alerts();
    assert_eq!(kept.len(), 2);
    assert_eq!(
        kept[0].output_fields.get(SILENCED_FIELD),
        Some(&serde_json::Value::from("s-1"))
    );
    assert!(
        String::from_utf8_lossy(kept[0].to_json()).contains(r#""falconer.silenced":"s-1""#),
        "the stored JSON carries the mark"
    );
    assert!(!kept[1].output_fields.contains_key(SILENCED_FIELD));
    env.has(r#"falconer_alerts_suppressed_total{kind="plain",output="chat",reason="silenced"} 1"#);
}

#[tokio::test(start_paused = true)]
async fn a_throttle_sends_the_excess_as_one_summary_when_its_window_closes() {
    let env = Env::new();
    let out = Arc::new(Recorder::default());
    let mut c = queue();
    c.throttle = Some(ThrottleSettings {
        max: 1,
        window: GoDuration(Duration::from_secs(600)),
        key: String::new(),
    });
    let d = launch(
        &env,
        vec![plain("chat", &out, c)],
        &GlobalSettings::default(),
    );
    for _ in 0..5 {
        d.dispatch(alert(Priority::Warning, "Terminal shell in container"))
            .await;
    }
    until("the first alert", || out.alerts().len() == 1).await;
    env.has(r#"falconer_alerts_suppressed_total{kind="plain",output="chat",reason="throttle"} 4"#);
    tokio::time::sleep(Duration::from_secs(602)).await;
    until("the summary", || out.alerts().len() == 2).await;
    let summary = &out.alerts()[1];
    assert_eq!(
        summary.output_fields.get("falconer.suppressed"),
        Some(&serde_json::Value::from(4))
    );
    assert!(summary.tags.iter().any(|t| t == "falconer_summary"));
    settle(&d).await;
}

/// Plans outputs that build into the given recorders.
struct Prepared(Arc<Recorder>);

#[async_trait::async_trait]
impl PreparedOutput for Prepared {
    fn defaults(&self) -> DeliveryDefaults {
        OutputKind::of::<PlainKind>().defaults
    }

    async fn build(self: Box<Self>, _: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        Ok(self.0.clone())
    }
}

fn planned(name: &str, out: &Arc<Recorder>, common: CommonSettings) -> PlannedOutput {
    PlannedOutput {
        entry: entry(name, "plain", common),
        kind: OutputKind::of::<PlainKind>(),
        prepared: Box::new(Prepared(out.clone())),
    }
}

#[tokio::test]
async fn reload_keeps_unchanged_outputs_replaces_changed_ones_and_retires_removed_ones() {
    let env = Env::new();
    let rec = || Arc::new(Recorder::default());
    let (kept, changed_old, removed, changed_new, added) = (rec(), rec(), rec(), rec(), rec());
    let d = launch(
        &env,
        vec![
            plain("kept", &kept, queue()),
            plain("changed", &changed_old, queue()),
            plain("removed", &removed, queue()),
        ],
        &GlobalSettings::default(),
    );
    d.dispatch(alert(Priority::Warning, "before")).await;

    // A route naming an unknown output: refused, nothing changes.
    let bad = GlobalSettings {
        routes: vec![route("priority >= error", &["nowhere"])],
        ..GlobalSettings::default()
    };
    let refused = d
        .reload(
            vec![planned("kept", &kept, queue())],
            Arc::new(bad),
            &env.m,
            Duration::from_secs(5),
        )
        .await;
    assert!(matches!(refused, Err(StartError::Policy(_))), "{refused:?}");
    assert_eq!(d.outputs(), ["kept", "changed", "removed"]);

    let mut longer = queue();
    longer.timeout = GoDuration(Duration::from_secs(9));
    let mut critical_only = queue();
    critical_only.minimumpriority = "critical".into();
    let report = d
        .reload(
            vec![
                // Only its filter changed: the running instance stays.
                planned("kept", &kept, critical_only),
                planned("changed", &changed_new, longer),
                planned("added", &added, queue()),
            ],
            Arc::new(GlobalSettings::default()),
            &env.m,
            Duration::from_secs(5),
        )
        .await
        .expect("reload");
    assert_eq!(report.kept, ["kept"]);
    assert_eq!(report.replaced, ["changed"]);
    assert_eq!(report.added, ["added"]);
    assert_eq!(report.removed, ["removed"]);
    d.dispatch(alert(Priority::Warning, "after")).await;
    d.dispatch(alert(Priority::Critical, "after-critical"))
        .await;
    settle(&d).await;
    assert_eq!(kept.rules(), ["before", "after-critical"]);
    assert_eq!(changed_old.rules(), ["before"]);
    assert_eq!(changed_new.rules(), ["after", "after-critical"]);
    assert_eq!(removed.rules(), ["before"], "the removed output drained");
    assert_eq!(added.rules(), ["after", "after-critical"]);
}

#[tokio::test]
async fn a_replaced_spooled_output_hands_its_spool_to_the_new_instance() {
    let env = Env::new();
    let old = Arc::new(Recorder::default());
    old.down.store(true, std::sync::atomic::Ordering::SeqCst);
    let new = Arc::new(Recorder::default());
    let mut spooled = queue();
    spooled.spool.enabled = true;
    spooled.breaker.failures = 0;
    let d = launch(
        &env,
        vec![plain("durable", &old, spooled.clone())],
        &GlobalSettings::default(),
    );
    for i in 0..5 {
        let outcome = d.dispatch(alert(Priority::Warning, &format!("r{i}"))).await;
        assert_eq!(outcome.queued, 1);
    }
    // A delivery setting changes: a new instance, and the spool goes with the output.
    let mut changed = spooled;
    changed.timeout = GoDuration(Duration::from_secs(9));
    let report = d
        .reload(
            vec![planned("durable", &new, changed)],
            Arc::new(GlobalSettings::default()),
            &env.m,
            Duration::from_secs(5),
        )
        .await
        .expect("reload");
    assert_eq!(report.replaced, ["durable"]);
    d.dispatch(alert(Priority::Warning, "after")).await;
    until("the replay", || new.rules().len() == 6).await;
    settle(&d).await;
    assert_eq!(new.rules(), ["r0", "r1", "r2", "r3", "r4", "after"]);
    assert!(old.rules().is_empty());
    assert!(env.dead_letters().await.is_empty());
}

#[tokio::test]
async fn a_spooled_output_removed_by_a_reload_leaves_its_alerts_as_dead_letters() {
    let env = Env::new();
    let down = Arc::new(Recorder::default());
    down.down.store(true, std::sync::atomic::Ordering::SeqCst);
    let other = Arc::new(Recorder::default());
    let mut spooled = queue();
    spooled.spool.enabled = true;
    spooled.breaker.failures = 0;
    let d = launch(
        &env,
        vec![plain("durable", &down, spooled)],
        &GlobalSettings::default(),
    );
    for i in 0..3 {
        d.dispatch(alert(Priority::Warning, &format!("r{i}"))).await;
    }
    let report = d
        .reload(
            vec![planned("other", &other, queue())],
            Arc::new(GlobalSettings::default()),
            &env.m,
            Duration::from_secs(1),
        )
        .await
        .expect("reload");
    assert_eq!(report.removed, ["durable"]);
    settle(&d).await;
    let mut letters: Vec<(String, String, String)> = env
        .dead_letters()
        .await
        .into_iter()
        .map(|(output, reason, _, _, uuid)| (output, reason, uuid))
        .collect();
    letters.sort();
    let expected: Vec<(String, String, String)> = (0..3)
        .map(|i| {
            (
                "durable".into(),
                "output_removed".into(),
                format!("uuid-r{i}"),
            )
        })
        .collect();
    assert_eq!(letters, expected);
    env.has(r#"falconer_output_dead_letters_total{kind="plain",output="durable",reason="output_removed"} 3"#);
}
