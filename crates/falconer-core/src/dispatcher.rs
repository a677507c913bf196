//! The router: hands each accepted alert to every output instance whose filter matches, into
//! its bounded queue or its durable spool, without waiting on any output's I/O; and at
//! shutdown drains the outputs within the grace period, then settles what is left.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use falconer_config::{GlobalSettings, OutputEntry, OverflowPolicy};
use falconer_event::{Alert, Priority};
use falconer_metrics::{DropReason, Metrics, OutputMetrics};
use falconer_spool::{Spool, SpoolError};
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::breaker::Breaker;
use crate::deadletter::DeadLetters;
use crate::error::BuildError;
use crate::kind::{BuildContext, OutputKind};
use crate::output::Output;
use crate::plan::PlannedOutput;
use crate::retry::RetryPolicy;
use crate::source::{BatchLimits, Batcher, Source, SpoolSource};
use crate::throttle::LogThrottle;
use crate::worker::{self, Delivery, Envelope, Stop, UNLIMITED_CONCURRENCY};

enum Intake {
    Memory(mpsc::Sender<Envelope>),
    Spool(Spool<Envelope>),
}

struct Route {
    name: String,
    minimum: Option<Priority>,
    overflow: OverflowPolicy,
    intake: Intake,
    metrics: OutputMetrics,
    alive: Arc<AtomicBool>,
    breaker: Arc<Breaker>,
    drop_log: LogThrottle,
}

/// What became of one alert.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DispatchOutcome {
    /// Outputs that queued (or spooled) it.
    pub queued: usize,
    /// Outputs that could not take it (full, shut down, spool error); each is counted and
    /// dead-lettered.
    pub dropped: usize,
    /// The first output that refused it: full with policy `reject`, shut down, or its spool
    /// failed. The ingest answers 503 so the sender knows.
    pub rejected_by: Option<String>,
}

/// Alerts not delivered when the shutdown grace period ended, per output.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ShutdownReport {
    /// (output, alerts still queued or in flight, spooled): outputs that did not drain. Spooled
    /// alerts stay on disk for the next start; the others went to the dead-letter store.
    pub undelivered: Vec<(String, u64, bool)>,
}

/// An output instance ready to run.
pub struct BuiltOutput {
    /// Its config entry.
    pub entry: OutputEntry,
    /// Its kind.
    pub kind: OutputKind,
    /// The output.
    pub output: Arc<dyn Output>,
}

/// Starting the dispatcher failed.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Outputs could not be built.
    #[error("{} output(s) could not be built", .0.len())]
    Build(Vec<BuildError>),
    /// The dead-letter store or a spool could not be opened.
    #[error("{0}")]
    Storage(String),
}

/// Routes alerts to output workers.
pub struct Dispatcher {
    routes: Vec<Route>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    closing: CancellationToken,
    deadline: CancellationToken,
    dead: Arc<DeadLetters>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.routes.iter().map(|r| r.name.as_str()).collect();
        f.debug_struct("Dispatcher")
            .field("outputs", &names)
            .finish()
    }
}

/// The file of an output instance's spool under the data directory.
pub fn spool_path(datadir: &Path, output: &str) -> PathBuf {
    let safe: String = output
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    datadir.join("spool").join(format!("{safe}.redb"))
}

/// Opens the dead-letter store the global settings describe.
pub fn open_dead_letters(
    global: &GlobalSettings,
    metrics: &Metrics,
) -> Result<Arc<DeadLetters>, StartError> {
    let errors = metrics.dead_letter_write_errors().clone();
    if !global.deadletter.enabled {
        return Ok(DeadLetters::disabled(errors));
    }
    DeadLetters::open(
        Path::new(&global.datadir),
        global.deadletter.maxbytes,
        global.deadletter.maxfiles,
        errors,
    )
    .map_err(|e| StartError::Storage(e.to_string()))
}

impl Dispatcher {
    /// Builds every planned output, opens the dead-letter store and the spools, and starts
    /// the workers. Fails with every build error.
    pub async fn start(
        planned: Vec<PlannedOutput>,
        metrics: &Metrics,
        global: Arc<GlobalSettings>,
    ) -> Result<Self, StartError> {
        let mut errors = Vec::new();
        let mut built = Vec::new();
        for p in planned {
            let cx = BuildContext {
                name: p.entry.name.clone(),
                path: p.entry.path.clone(),
                global: global.clone(),
            };
            let mut kind = p.kind;
            kind.defaults = p.prepared.defaults();
            match p.prepared.build(cx).await {
                Ok(output) => built.push(BuiltOutput {
                    entry: p.entry,
                    kind,
                    output,
                }),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(StartError::Build(errors));
        }
        let dead = open_dead_letters(&global, metrics)?;
        let dispatcher = Self::launch(built, metrics, dead, Path::new(&global.datadir))?;
        if !global.deadletter.output.is_empty() {
            dispatcher.redirect_dead_letters(&global.deadletter.output);
        }
        Ok(dispatcher)
    }

    /// Starts a worker for each built output; spools live under `datadir`.
    pub fn launch(
        built: Vec<BuiltOutput>,
        metrics: &Metrics,
        dead: Arc<DeadLetters>,
        datadir: &Path,
    ) -> Result<Self, StartError> {
        let closing = CancellationToken::new();
        let deadline = CancellationToken::new();
        let mut routes = Vec::new();
        let mut workers = Vec::new();
        let mut spool_files = std::collections::BTreeMap::new();
        for BuiltOutput {
            entry,
            kind,
            output,
        } in built
        {
            let common = &entry.common;
            let output_metrics = metrics.output(&entry.name, kind.name, kind.destination);
            let alive = Arc::new(AtomicBool::new(true));
            let policy = RetryPolicy::resolve(common, &kind.defaults);
            let breaker = Arc::new(Breaker::new(
                common.breaker.failures,
                common.breaker.cooldown.0,
                Some(&output_metrics),
            ));
            let limits = batch_limits(&entry, &kind);
            let (intake, source, spool) = if common.spool.enabled {
                let path = spool_path(datadir, &entry.name);
                if let Some(other) = spool_files.insert(path.clone(), entry.name.clone()) {
                    return Err(StartError::Storage(format!(
                        "outputs {other:?} and {:?} would share the spool file {}; rename one",
                        entry.name,
                        path.display()
                    )));
                }
                let (hot_tx, hot_rx) = mpsc::channel(common.queue.capacity);
                let gauge = output_metrics.spool_bytes.clone();
                let on_used = Box::new(move |used: u64| gauge.set(used as i64));
                let spool =
                    Spool::open(&path, common.spool.maxbytes, hot_tx, on_used).map_err(|e| {
                        StartError::Storage(format!(
                            "{}: spool {}: {e}",
                            entry.path,
                            path.display()
                        ))
                    })?;
                output_metrics.spool_bytes.set(spool.used() as i64);
                let backlog = spool.committed().saturating_sub(spool.first_pending() - 1);
                if backlog > 0 {
                    info!(output = %entry.name, records = backlog, "Replaying alerts left in the spool.");
                }
                output_metrics.queue_depth.set(backlog as i64);
                let source = SpoolSource::new(spool.clone(), hot_rx, output_metrics.clone());
                (
                    Intake::Spool(spool.clone()),
                    Source::Spool(Box::new(source)),
                    Some(spool),
                )
            } else {
                let (tx, rx) = mpsc::channel(common.queue.capacity);
                (Intake::Memory(tx), Source::Memory(rx), None)
            };
            let concurrency = match common.maxconcurrentrequests {
                0 => UNLIMITED_CONCURRENCY,
                n => n.min(UNLIMITED_CONCURRENCY),
            };
            info!(
                output = %entry.name,
                kind = kind.name,
                minimumpriority = ?common.minimum_priority(),
                concurrency,
                queue = common.queue.capacity,
                spool = common.spool.enabled,
                max_attempts = policy.max_attempts,
                batch = limits.max_events,
                "Output enabled."
            );
            let delivery = Arc::new(Delivery {
                output,
                timeout: common.timeout.0,
                policy,
                breaker: breaker.clone(),
                metrics: output_metrics.clone(),
                dead: dead.clone(),
                spool,
                retry_log: LogThrottle::new(1000),
            });
            workers.push(tokio::spawn(worker::run(
                Batcher::new(source, limits),
                delivery,
                concurrency,
                Stop {
                    closing: closing.clone(),
                    deadline: deadline.clone(),
                },
                alive.clone(),
            )));
            routes.push(Route {
                name: entry.name.clone(),
                minimum: common.minimum_priority(),
                overflow: common.queue.overflow,
                intake,
                metrics: output_metrics,
                alive,
                breaker,
                drop_log: LogThrottle::new(1000),
            });
        }
        Ok(Dispatcher {
            routes,
            workers: Mutex::new(workers),
            closing,
            deadline,
            dead,
        })
    }

    /// Sends dead letters to the output instance named `output` (`deadletter.output`) rather
    /// than to the file; a spooled output cannot take them (they go to the file).
    pub fn redirect_dead_letters(&self, output: &str) {
        if let Some(route) = self.routes.iter().find(|r| r.name == output) {
            if let Intake::Memory(tx) = &route.intake {
                self.dead
                    .redirect_to(route.name.clone(), tx.clone(), route.metrics.clone());
            } else if let Intake::Spool(_) = &route.intake {
                warn!(output, "deadletter.output names a spooled output; dead letters go to the file instead.");
            }
        }
    }

    /// Queues `alert` for every output whose `minimumpriority` it meets (the `/test` alert
    /// meets every one). Outputs with a spool are answered once the alert is on disk (group
    /// commit); in-memory queues never wait. A full queue or spool is handled by the output's
    /// overflow policy.
    pub async fn dispatch(&self, alert: Arc<Alert>) -> DispatchOutcome {
        let mut outcome = DispatchOutcome::default();
        let now = Instant::now();
        let mut commits: Vec<(&Route, oneshot::Receiver<Result<u64, SpoolError>>)> = Vec::new();
        for route in &self.routes {
            if !alert.is_test() && route.minimum.is_some_and(|min| alert.priority < min) {
                continue;
            }
            if self.closing.is_cancelled() {
                self.refuse(route, &alert, DropReason::Shutdown, &mut outcome);
                continue;
            }
            let envelope = Envelope::new(alert.clone(), now);
            match &route.intake {
                Intake::Memory(tx) => {
                    // Raised before sending so the worker's decrement never makes it negative.
                    route.metrics.queue_depth.inc();
                    match tx.try_send(envelope) {
                        Ok(()) => outcome.queued += 1,
                        Err(e) => {
                            route.metrics.queue_depth.dec();
                            let reason = match e {
                                mpsc::error::TrySendError::Full(_) => DropReason::QueueFull,
                                mpsc::error::TrySendError::Closed(_) => DropReason::Shutdown,
                            };
                            self.refuse(route, &alert, reason, &mut outcome);
                        }
                    }
                }
                Intake::Spool(spool) => {
                    route.metrics.queue_depth.inc();
                    match spool.append(alert.json_bytes().clone(), envelope) {
                        Ok(commit) => commits.push((route, commit)),
                        Err(e) => {
                            route.metrics.queue_depth.dec();
                            let reason = match e {
                                SpoolError::Full(_) => DropReason::SpoolFull,
                                _ => DropReason::Shutdown,
                            };
                            self.refuse(route, &alert, reason, &mut outcome);
                        }
                    }
                }
            }
        }
        // Every append is already with the writer: they share one commit.
        for (route, commit) in commits {
            match commit.await {
                Ok(Ok(_)) => outcome.queued += 1,
                Ok(Err(e)) => {
                    route.metrics.queue_depth.dec();
                    error!(output = %route.name, error = %e, "Cannot spool an alert; answering 503.");
                    // Not durable here: the sender is told to send it again.
                    outcome.dropped += 1;
                    outcome
                        .rejected_by
                        .get_or_insert_with(|| route.name.clone());
                    route.metrics.dropped(1, DropReason::SpoolError);
                }
                Err(_) => {
                    route.metrics.queue_depth.dec();
                    outcome.dropped += 1;
                    outcome
                        .rejected_by
                        .get_or_insert_with(|| route.name.clone());
                    route.metrics.dropped(1, DropReason::Shutdown);
                }
            }
        }
        outcome
    }

    /// An output could not take `alert`: counted, dead-lettered, logged (rate-limited).
    fn refuse(
        &self,
        route: &Route,
        alert: &Arc<Alert>,
        reason: DropReason,
        outcome: &mut DispatchOutcome,
    ) {
        outcome.dropped += 1;
        // A shut-down output refuses like `reject`: the sender must not think it was taken.
        if route.overflow == OverflowPolicy::Reject || reason == DropReason::Shutdown {
            outcome
                .rejected_by
                .get_or_insert_with(|| route.name.clone());
            // Refused to the sender, who still has the alert: counted, not dead-lettered.
            route.metrics.dropped(1, reason);
        } else {
            self.dead.give_up(
                &route.metrics,
                std::slice::from_ref(alert),
                reason,
                0,
                "not queued: the output's queue or spool was full",
            );
        }
        if let Some(suppressed) = route.drop_log.check() {
            warn!(
                output = %route.name,
                reason = reason.label(),
                uuid = %alert.uuid,
                rule = %alert.rule,
                suppressed,
                "Alert not queued for this output."
            );
        }
    }

    /// Names of the outputs whose worker is not running (empty when all are ready).
    pub fn not_running(&self) -> Vec<&str> {
        self.routes
            .iter()
            .filter(|r| !r.alive.load(Ordering::SeqCst))
            .map(|r| r.name.as_str())
            .collect()
    }

    /// Names of the outputs whose circuit breaker is open (attempts held back).
    pub fn open_breakers(&self) -> Vec<&str> {
        self.routes
            .iter()
            .filter(|r| r.breaker.is_open())
            .map(|r| r.name.as_str())
            .collect()
    }

    /// Output names, in configuration order.
    pub fn outputs(&self) -> impl Iterator<Item = &str> {
        self.routes.iter().map(|r| r.name.as_str())
    }

    /// The dead-letter store.
    pub fn dead_letters(&self) -> &Arc<DeadLetters> {
        &self.dead
    }

    /// Stops accepting alerts and lets the workers drain for up to `grace`. Then what is left
    /// is settled: spooled alerts stay on disk for the next start, the others go to the
    /// dead-letter store. Returns once the spools and the dead-letter file are synced.
    pub async fn shutdown(&self, grace: Duration) -> ShutdownReport {
        self.closing.cancel();
        let mut workers: Vec<Option<JoinHandle<()>>> =
            std::mem::take(&mut *self.workers.lock().await)
                .into_iter()
                .map(Some)
                .collect();
        let drained = tokio::time::timeout(grace, async {
            for slot in workers.iter_mut() {
                if let Some(handle) = slot.as_mut() {
                    let _ = handle.await;
                    *slot = None;
                }
            }
        })
        .await
        .is_ok();
        let mut report = ShutdownReport::default();
        if !drained {
            for route in &self.routes {
                let pending = route.metrics.queue_depth.get() + route.metrics.in_flight.get();
                if pending > 0 {
                    let spooled = matches!(route.intake, Intake::Spool(_));
                    report
                        .undelivered
                        .push((route.name.clone(), pending as u64, spooled));
                }
            }
            self.deadline.cancel();
            // Workers abort their attempts and settle what is left; an output stuck in
            // blocking code gets a last second before its task is aborted.
            for mut handle in workers.into_iter().flatten() {
                if tokio::time::timeout(Duration::from_secs(1), &mut handle)
                    .await
                    .is_err()
                {
                    handle.abort();
                    let _ = handle.await;
                }
            }
        }
        for route in &self.routes {
            route.metrics.up.set(0);
            route.alive.store(false, Ordering::SeqCst);
            if let Intake::Spool(spool) = &route.intake {
                if let Err(e) = spool.close().await {
                    error!(output = %route.name, error = %e, "Cannot sync the spool.");
                }
                route.metrics.spool_bytes.set(spool.used() as i64);
            }
        }
        self.dead.flush().await;
        report
    }
}

/// An instance's batch limits: its `batch.*` keys over the kind's defaults; kinds that send
/// one alert per request always get batches of one.
fn batch_limits(entry: &OutputEntry, kind: &OutputKind) -> BatchLimits {
    let d = kind.defaults;
    if !d.batches() {
        return BatchLimits {
            max_events: 1,
            max_bytes: usize::MAX,
            linger: Duration::ZERO,
        };
    }
    let b = &entry.common.batch;
    BatchLimits {
        max_events: b.maxevents.unwrap_or(d.max_batch).max(1),
        max_bytes: b.maxbytes.unwrap_or(d.batch_bytes).max(1),
        linger: b.linger.map_or(d.linger, |l| l.0),
    }
}
