//! Live reload of the running process: on SIGHUP, when the config file or a secret file it
//! names changes (`reload.watch`), and on `POST /-/reload` (`reload.token`). A configuration
//! that does not load, compile or build is refused with every problem logged and counted;
//! the one in force keeps running.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use falconer_config::{Config, GlobalSettings, Sources};
use falconer_core::{Dispatcher, ReloadReport, StartError};
use falconer_event::Enricher;
use falconer_ingest::{IngestState, ReloadResult};
use falconer_metrics::Metrics;
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// Reloads the configuration into the running dispatcher and ingest.
pub(crate) struct Reloader {
    file: Option<PathBuf>,
    dispatcher: Arc<Dispatcher>,
    ingest: Arc<IngestState>,
    metrics: Arc<Metrics>,
    state: Mutex<Seen>,
}

/// The configuration in force, and the last one the watch saw refused (not tried again
/// until the files change once more).
struct Seen {
    current: Config,
    refused: Option<(Option<Config>, String)>,
}

impl Reloader {
    pub(crate) fn new(
        file: Option<PathBuf>,
        current: Config,
        dispatcher: Arc<Dispatcher>,
        ingest: Arc<IngestState>,
        metrics: Arc<Metrics>,
    ) -> Self {
        metrics.reload().loaded(unix_now(), false);
        Reloader {
            file,
            dispatcher,
            ingest,
            metrics,
            state: Mutex::new(Seen {
                current,
                refused: None,
            }),
        }
    }

    /// Loads the files again and switches to them; `trigger` is logged.
    pub(crate) async fn reload(&self, trigger: &str) -> ReloadResult {
        let mut seen = self.state.lock().await;
        let result = self.apply(&mut seen).await;
        match &result {
            Ok(summary) => {
                self.metrics.reload().loaded(unix_now(), true);
                seen.refused = None;
                info!(trigger, changes = %summary, "Reload done.");
            }
            Err(problems) => {
                self.metrics.reload().failed();
                error!(trigger, problems = %problems, "Reload refused; the configuration in force stays.");
            }
        }
        result
    }

    async fn apply(&self, seen: &mut Seen) -> ReloadResult {
        let (config, planned) =
            crate::startup::load_and_plan(self.file.as_deref()).map_err(|e| e.to_string())?;
        let enricher =
            Enricher::new(&config.global.enrich_settings()).map_err(|e| e.to_string())?;
        let grace = config.global.shutdown.graceperiod.0;
        let global = Arc::new(config.global.clone());
        let report = self
            .dispatcher
            .reload(planned, global, &self.metrics, grace)
            .await
            .map_err(describe)?;
        self.ingest.enricher.store(Arc::new(enricher));
        let restart = restart_only_changes(&seen.current.global, &config.global);
        if !restart.is_empty() {
            warn!(keys = ?restart, "These settings changed but take effect only after a restart.");
        }
        for w in &config.warnings {
            warn!("{w}");
        }
        seen.current = config;
        Ok(summary(&report, &restart))
    }

    /// The configuration the files give now, and its problems (empty when none).
    fn read_files(&self) -> (Option<Config>, String) {
        let registry = crate::outputs::builtin();
        match Sources::from_process(self.file.as_deref()) {
            Ok(sources) => {
                let (config, errors) = falconer_config::load_partial(&sources, &registry.schemas());
                (Some(config), errors.to_string())
            }
            Err(e) => (None, e.to_string()),
        }
    }

    /// True when the files give another configuration than the one in force, and not the
    /// one last refused (a refused one is tried once, not on every check).
    async fn files_changed(&self) -> Option<(Option<Config>, String)> {
        let (config, problems) = self.read_files();
        let seen = self.state.lock().await;
        let in_force =
            problems.is_empty() && config.as_ref().is_some_and(|c| same(c, &seen.current));
        let refused = seen.refused.as_ref().is_some_and(|(c, p)| {
            *p == problems
                && match (c, &config) {
                    (Some(a), Some(b)) => same(a, b),
                    (None, None) => true,
                    _ => false,
                }
        });
        (!in_force && !refused).then_some((config, problems))
    }
}

fn same(a: &Config, b: &Config) -> bool {
    a.global == b.global && a.outputs == b.outputs
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn describe(e: StartError) -> String {
    match e {
        StartError::Build(errors) => errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

fn summary(report: &ReloadReport, restart: &[&str]) -> String {
    let list = |names: &[String]| {
        if names.is_empty() {
            "-".to_owned()
        } else {
            names.join(",")
        }
    };
    let mut text = format!(
        "reloaded: kept {}; added {}; replaced {}; removed {}",
        list(&report.kept),
        list(&report.added),
        list(&report.replaced),
        list(&report.removed)
    );
    if !restart.is_empty() {
        text.push_str(&format!(
            "; changed but applied only after a restart: {}",
            restart.join(",")
        ));
    }
    text
}

/// Global settings a reload cannot apply to the running process (listeners, stores,
/// metrics labels): the keys that differ.
fn restart_only_changes(old: &GlobalSettings, new: &GlobalSettings) -> Vec<&'static str> {
    let mut keys = Vec::new();
    let mut check = |key: &'static str, differs: bool| {
        if differs {
            keys.push(key);
        }
    };
    check("listenaddress", old.listenaddress != new.listenaddress);
    check("listenport", old.listenport != new.listenport);
    check("debug", old.debug != new.debug);
    check("tlsserver", old.tlsserver != new.tlsserver);
    check("ingest", old.ingest != new.ingest);
    check("prometheus", old.prometheus != new.prometheus);
    check("ui", old.ui != new.ui);
    check("k8saudit", old.k8saudit != new.k8saudit);
    check("datadir", old.datadir != new.datadir);
    check(
        "deadletter",
        old.deadletter.enabled != new.deadletter.enabled
            || old.deadletter.maxbytes != new.deadletter.maxbytes
            || old.deadletter.maxfiles != new.deadletter.maxfiles,
    );
    check("shutdown", old.shutdown != new.shutdown);
    check("reload", old.reload != new.reload);
    check(
        "customfields (as metric labels)",
        old.customfields.keys().ne(new.customfields.keys())
            || old.templatedfields.keys().ne(new.templatedfields.keys()),
    );
    keys
}

/// Serves reload requests until `stop`: SIGHUP, the file watch every `reload.interval`, and
/// the requests of `POST /-/reload`.
pub(crate) async fn serve(
    reloader: Arc<Reloader>,
    global: &GlobalSettings,
    mut hangup: Hangup,
    mut requests: mpsc::Receiver<oneshot::Sender<ReloadResult>>,
    stop: CancellationToken,
) {
    let watch = global.reload.watch;
    let mut tick = tokio::time::interval(global.reload.interval.0.max(Duration::from_millis(100)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            Some(()) = next_hangup(&mut hangup) => {
                let _ = reloader.reload("SIGHUP").await;
            }
            Some(reply) = requests.recv() => {
                let _ = reply.send(reloader.reload("POST /-/reload").await);
            }
            _ = tick.tick(), if watch => {
                if let Some(files) = reloader.files_changed().await {
                    if reloader.reload("file change").await.is_err() {
                        reloader.state.lock().await.refused = Some(files);
                    }
                }
            }
        }
    }
}

/// SIGHUP, watched from the start (its default action ends the process).
#[cfg(unix)]
pub(crate) type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
pub(crate) type Hangup = Option<()>;

/// Starts watching SIGHUP.
#[cfg(unix)]
pub(crate) fn hangup_signal() -> Hangup {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            warn!(error = %e, "Cannot watch SIGHUP; reload by file change or POST /-/reload.");
            None
        }
    }
}

/// Starts watching SIGHUP.
#[cfg(not(unix))]
pub(crate) fn hangup_signal() -> Hangup {
    None
}

#[cfg(unix)]
async fn next_hangup(hangup: &mut Hangup) -> Option<()> {
    match hangup {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn next_hangup(_: &mut Hangup) -> Option<()> {
    std::future::pending().await
}
