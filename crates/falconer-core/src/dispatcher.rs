//! The router: hands each accepted alert to every output instance the alert policy selects,
//! into its bounded queue or its durable spool, without waiting on any output's I/O; and at
//! shutdown drains the outputs within the grace period, then settles what is left.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use falconer_config::{ConfigErrors, GlobalSettings, OutputEntry, OverflowPolicy};
use falconer_event::Alert;
use falconer_metrics::{DropReason, Metrics, OutputMetrics};
use falconer_policy::{Decision, Policy, Silences};
use falconer_spool::{Log, Orphan, SpoolError};
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{error, warn};

use crate::deadletter::DeadLetters;
use crate::error::BuildError;
use crate::held::Queued;
use crate::kind::{BuildContext, OutputKind, Resources};
use crate::lane::{start_lane, Fingerprint, Intake, Lane, Parents};
use crate::output::Output;
use crate::plan::PlannedOutput;
use crate::source::BatchLimits;

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
    /// The alert policy (routes, matches, silences, noise control) is invalid.
    #[error("{0}")]
    Policy(ConfigErrors),
}

/// The outputs in force and the policy that selects among them, swapped whole on reload so
/// that every alert sees one configuration.
pub(crate) struct Table {
    pub(crate) lanes: Vec<Arc<Lane>>,
    pub(crate) policy: Arc<Policy>,
}

/// A worker task and the lane it serves.
pub(crate) struct Worker {
    pub(crate) lane: u64,
    pub(crate) handle: JoinHandle<()>,
}

/// Routes alerts to output workers by the alert policy (routes, filters, silences, noise
/// control).
pub struct Dispatcher {
    pub(crate) table: Arc<ArcSwap<Table>>,
    /// The config file's silences and the API's, together.
    silences: ArcSwap<Silences>,
    /// The API's silences (kept to be merged again with a reloaded config's).
    api_silences: std::sync::Mutex<Silences>,
    pub(crate) workers: Mutex<Vec<Worker>>,
    pub(crate) closing: CancellationToken,
    pub(crate) deadline: CancellationToken,
    pub(crate) dead: Arc<DeadLetters>,
    pub(crate) datadir: PathBuf,
    /// The spooled outputs' shared log, once one is spooled.
    pub(crate) spool: std::sync::Mutex<Option<Log<Queued>>>,
    /// One reload at a time.
    pub(crate) reloading: Mutex<()>,
    pub(crate) next_lane: std::sync::atomic::AtomicU64,
    /// What outputs built by a reload are given.
    pub(crate) resources: Resources,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("outputs", &self.outputs())
            .finish()
    }
}

/// Output field that marks a silenced alert kept by the event store: the silence's id.
pub const SILENCED_FIELD: &str = "falconer.silenced";

/// How often held-back alerts are checked for a closed window (throttle, dedup and group
/// summaries are sent within this of their window's end).
const NOISE_TICK: Duration = Duration::from_secs(1);

/// Alerts read from the spool at once when an output that is no longer spooled left some.
const REMOVED_CHUNK: usize = 10_000;

/// Keeps what output `name` (no longer spooled) left in the spool as dead letters, a chunk at
/// a time: each chunk is forgotten by the spool only once the dead-letter store has written
/// it, so a crash in between keeps them twice, never loses them.
pub(crate) async fn keep_removed(
    log: Log<Queued>,
    dead: Arc<DeadLetters>,
    metrics: OutputMetrics,
    name: String,
) {
    loop {
        match log.take_pending(&name, REMOVED_CHUNK) {
            Ok(Some(orphan)) => {
                let upto = orphan.upto;
                dead_letter_removed(&dead, &metrics, orphan);
                dead.flush().await;
                if let Err(e) = log.forget(&name, upto) {
                    error!(output = %name, error = %e, "Cannot mark what a removed output left in the spool as kept.");
                    return;
                }
            }
            Ok(None) => return,
            Err(e) => {
                error!(output = %name, error = %e, "Cannot read what a removed output left in the spool.");
                return;
            }
        }
    }
}

/// Keeps a chunk of what an output that is no longer spooled left in the spool as dead letters.
fn dead_letter_removed(dead: &DeadLetters, metrics: &OutputMetrics, orphan: Orphan) {
    let alerts: Vec<Arc<Alert>> = orphan
        .payloads
        .into_iter()
        .filter_map(|p| match Alert::from_payload(p) {
            Ok(a) => Some(Arc::new(a)),
            Err(e) => {
                error!(output = %orphan.output, error = %e, "A spooled alert cannot be read back; dropping it.");
                metrics.dropped(1, DropReason::Corrupt);
                None
            }
        })
        .collect();
    warn!(output = %orphan.output, alerts = alerts.len(), "An output that is no longer spooled left alerts in the spool; they are kept as dead letters.");
    dead.give_up(
        metrics,
        &alerts,
        DropReason::Removed,
        0,
        "the output is no longer spooled",
    );
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
    /// Builds every planned output, compiles the alert policy, opens the dead-letter store
    /// and the spools, and starts the workers. Fails with every build or policy error.
    pub async fn start(
        planned: Vec<PlannedOutput>,
        metrics: &Metrics,
        global: Arc<GlobalSettings>,
    ) -> Result<Self, StartError> {
        Self::start_with(planned, metrics, global, Resources::default()).await
    }

    /// [`Dispatcher::start`], giving the outputs (and those a reload builds) `resources`.
    pub async fn start_with(
        planned: Vec<PlannedOutput>,
        metrics: &Metrics,
        global: Arc<GlobalSettings>,
        resources: Resources,
    ) -> Result<Self, StartError> {
        let entries: Vec<OutputEntry> = planned.iter().map(|p| p.entry.clone()).collect();
        let policy =
            Policy::compile_for(&entries, &global, Utc::now()).map_err(StartError::Policy)?;
        let built = build_all(planned, &global, &resources).await?;
        let dead = open_dead_letters(&global, metrics)?;
        let mut dispatcher = Self::launch_with(
            built,
            policy,
            &global,
            metrics,
            dead,
            Path::new(&global.datadir),
        )?;
        dispatcher.resources = resources;
        if !global.deadletter.output.is_empty() {
            dispatcher.redirect_dead_letters(&global.deadletter.output);
        }
        Ok(dispatcher)
    }

    /// Starts a worker for each built output with no policy beyond each output's own
    /// filters; spools live under `datadir`.
    pub fn launch(
        built: Vec<BuiltOutput>,
        metrics: &Metrics,
        dead: Arc<DeadLetters>,
        datadir: &Path,
    ) -> Result<Self, StartError> {
        let global = GlobalSettings::default();
        let entries: Vec<OutputEntry> = built.iter().map(|b| b.entry.clone()).collect();
        let policy =
            Policy::compile_for(&entries, &global, Utc::now()).map_err(StartError::Policy)?;
        Self::launch_with(built, policy, &global, metrics, dead, datadir)
    }

    /// Starts a worker for each built output under `policy`, whose outputs are `built`'s,
    /// in order.
    pub fn launch_with(
        built: Vec<BuiltOutput>,
        policy: Policy,
        global: &GlobalSettings,
        metrics: &Metrics,
        dead: Arc<DeadLetters>,
        datadir: &Path,
    ) -> Result<Self, StartError> {
        let closing = CancellationToken::new();
        let deadline = CancellationToken::new();
        let dispatcher = Dispatcher {
            table: Arc::new(ArcSwap::from_pointee(Table {
                lanes: Vec::new(),
                policy: Arc::new(Policy::default()),
            })),
            silences: ArcSwap::from_pointee(Silences::new(policy.config_silences().to_vec())),
            api_silences: std::sync::Mutex::default(),
            workers: Mutex::new(Vec::new()),
            closing,
            deadline,
            dead,
            datadir: datadir.to_owned(),
            spool: std::sync::Mutex::new(None),
            reloading: Mutex::new(()),
            next_lane: std::sync::atomic::AtomicU64::new(0),
            resources: Resources::default(),
        };
        let spooled: Vec<&str> = built
            .iter()
            .filter(|b| b.entry.common.spool.enabled)
            .map(|b| b.entry.name.as_str())
            .collect();
        let mut workers = dispatcher.open_spool(&spooled, metrics)?;
        let mut lanes = Vec::new();
        for b in built {
            let fingerprint = Fingerprint::of(&b.entry, global);
            let (lane, handle) = dispatcher.start_lane(b, fingerprint, metrics)?;
            workers.push(Worker {
                lane: lane.id,
                handle,
            });
            lanes.push(Arc::new(lane));
        }
        dispatcher.table.store(Arc::new(Table {
            lanes,
            policy: Arc::new(policy),
        }));
        let ticker = tokio::spawn(noise_ticker(
            dispatcher.table.clone(),
            dispatcher.dead.clone(),
            dispatcher.closing.clone(),
        ));
        workers.push(Worker {
            lane: u64::MAX,
            handle: ticker,
        });
        if let Ok(mut w) = dispatcher.workers.try_lock() {
            w.extend(workers);
        }
        Ok(dispatcher)
    }

    pub(crate) fn start_lane(
        &self,
        built: BuiltOutput,
        fingerprint: Fingerprint,
        metrics: &Metrics,
    ) -> Result<(Lane, JoinHandle<()>), StartError> {
        let id = self
            .next_lane
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        start_lane(
            id,
            built,
            fingerprint,
            metrics,
            &self.dead,
            self.spool_log().as_ref(),
            &Parents {
                closing: &self.closing,
                deadline: &self.deadline,
            },
        )
    }

    /// The shared log, if it is open.
    pub(crate) fn spool_log(&self) -> Option<Log<Queued>> {
        self.spool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Opens the spool directory's shared log, unless it is open: when an output is spooled,
    /// or when an earlier run left one (whose outputs may all be gone). What outputs that are
    /// not in `spooled` left in it is kept as dead letters, by the tasks returned.
    pub(crate) fn open_spool(
        &self,
        spooled: &[&str],
        metrics: &Metrics,
    ) -> Result<Vec<Worker>, StartError> {
        let mut slot = self
            .spool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let dir = self.datadir.join("spool");
        if slot.is_some() || (spooled.is_empty() && !dir.join("lanes").exists()) {
            return Ok(Vec::new());
        }
        let (log, orphans) = Log::open(&dir, spooled)
            .map_err(|e| StartError::Storage(format!("spool {}: {e}", dir.display())))?;
        let tasks = orphans
            .into_iter()
            .map(|name| Worker {
                lane: u64::MAX,
                handle: tokio::spawn(keep_removed(
                    log.clone(),
                    self.dead.clone(),
                    metrics.output(&name, "unknown", "unknown"),
                    name,
                )),
            })
            .collect();
        *slot = Some(log);
        Ok(tasks)
    }

    /// Sends dead letters to the output instance named `output` (`deadletter.output`) rather
    /// than to the file; a spooled output cannot take them (they go to the file).
    pub fn redirect_dead_letters(&self, output: &str) {
        let table = self.table.load();
        match table.lanes.iter().find(|l| l.name == output) {
            Some(lane) => match &lane.intake {
                Intake::Memory(tx) => {
                    self.dead
                        .redirect_to(lane.name.clone(), tx.clone(), lane.metrics.clone());
                }
                Intake::Spool(_) => {
                    self.dead.stop_redirect();
                    warn!(output, "deadletter.output names a spooled output; dead letters go to the file instead.");
                }
            },
            None => self.dead.stop_redirect(),
        }
    }

    /// Replaces the silences created through the API (the config file's stay).
    pub fn set_api_silences(&self, silences: Silences) {
        *self
            .api_silences
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = silences;
        self.merge_silences();
    }

    /// Every silence in force: the config file's, then the API's.
    pub fn silences(&self) -> Arc<Silences> {
        self.silences.load_full()
    }

    pub(crate) fn merge_silences(&self) {
        let table = self.table.load();
        let api = self
            .api_silences
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let mut all = table.policy.config_silences().to_vec();
        all.extend(api.iter().cloned());
        self.silences.store(Arc::new(Silences::new(all)));
    }

    /// The policy in force.
    pub fn policy(&self) -> Arc<Policy> {
        self.table.load().policy.clone()
    }

    /// Queues `alert` for every output the policy selects: its routes, `minimumpriority`
    /// and `match`, silences and noise control (the `/test` alert goes to every output).
    /// Outputs with a spool are answered once the alert is on disk (group commit); in-memory
    /// queues never wait. A full queue or spool is handled by the output's overflow policy.
    pub async fn dispatch(&self, alert: Arc<Alert>) -> DispatchOutcome {
        let table = self.table.load_full();
        let silences = self.silences.load_full();
        let now = Instant::now();
        let wall = if silences.is_empty() {
            DateTime::<Utc>::MIN_UTC
        } else {
            Utc::now()
        };
        let closing = self.closing.is_cancelled();
        let mut outcome = DispatchOutcome::default();
        let mut commits: Vec<(&Lane, oneshot::Receiver<Result<u64, SpoolError>>)> = Vec::new();
        let policy = &table.policy;
        policy.decide(&alert, &silences, now.into_std(), wall, |i, decision| {
            let Some(lane) = table.lanes.get(i) else {
                return;
            };
            let alert = match decision {
                Decision::Skip => return,
                Decision::Send => alert.clone(),
                Decision::Suppressed(label) => {
                    lane.metrics.suppressed(label);
                    return;
                }
                Decision::Silenced(silence) => {
                    if !policy.outputs()[i].keeps_silenced() {
                        lane.metrics.suppressed("silenced");
                        return;
                    }
                    Arc::new(alert.with_output_field(SILENCED_FIELD, silence.id.as_str().into()))
                }
            };
            if closing {
                self.refuse(lane, &alert, DropReason::Shutdown, &mut outcome);
                return;
            }
            match offer(lane, alert.clone(), now) {
                Offer::Queued => outcome.queued += 1,
                Offer::Committing(commit) => commits.push((lane, commit)),
                Offer::Refused(reason) => self.refuse(lane, &alert, reason, &mut outcome),
            }
        });
        // Every append is already with the writer: they share one commit.
        for (lane, commit) in commits {
            match commit.await {
                Ok(Ok(_)) => outcome.queued += 1,
                Ok(Err(e)) => {
                    lane.metrics.queue_depth.dec();
                    error!(output = %lane.name, error = %e, "Cannot spool an alert; answering 503.");
                    // Not durable here: the sender is told to send it again.
                    outcome.dropped += 1;
                    outcome.rejected_by.get_or_insert_with(|| lane.name.clone());
                    lane.metrics.dropped(1, DropReason::SpoolError);
                }
                Err(_) => {
                    lane.metrics.queue_depth.dec();
                    outcome.dropped += 1;
                    outcome.rejected_by.get_or_insert_with(|| lane.name.clone());
                    lane.metrics.dropped(1, DropReason::Shutdown);
                }
            }
        }
        outcome
    }

    /// An output could not take `alert`: counted, dead-lettered, logged (rate-limited).
    fn refuse(
        &self,
        lane: &Lane,
        alert: &Arc<Alert>,
        reason: DropReason,
        outcome: &mut DispatchOutcome,
    ) {
        outcome.dropped += 1;
        // A shut-down output refuses like `reject`: the sender must not think it was taken.
        if lane.overflow == OverflowPolicy::Reject || reason == DropReason::Shutdown {
            outcome.rejected_by.get_or_insert_with(|| lane.name.clone());
            // Refused to the sender, who still has the alert: counted, not dead-lettered.
            lane.metrics.dropped(1, reason);
        } else {
            give_up_unqueued(&self.dead, lane, alert, reason);
        }
        if let Some(suppressed) = lane.drop_log.check() {
            warn!(
                output = %lane.name,
                reason = reason.label(),
                uuid = %alert.uuid,
                rule = %alert.rule,
                suppressed,
                "Alert not queued for this output."
            );
        }
    }

    /// Names of the outputs whose worker is not running (empty when all are ready).
    pub fn not_running(&self) -> Vec<String> {
        self.table
            .load()
            .lanes
            .iter()
            .filter(|l| !l.alive.load(Ordering::SeqCst))
            .map(|l| l.name.clone())
            .collect()
    }

    /// Names of the outputs whose circuit breaker is open (attempts held back).
    pub fn open_breakers(&self) -> Vec<String> {
        self.table
            .load()
            .lanes
            .iter()
            .filter(|l| l.breaker.is_open())
            .map(|l| l.name.clone())
            .collect()
    }

    /// Output names, in configuration order.
    pub fn outputs(&self) -> Vec<String> {
        self.table
            .load()
            .lanes
            .iter()
            .map(|l| l.name.clone())
            .collect()
    }

    /// The dead-letter store.
    pub fn dead_letters(&self) -> &Arc<DeadLetters> {
        &self.dead
    }

    /// Stops accepting alerts, sends the summaries of every open throttle, dedup and group
    /// window, and lets the workers drain for up to `grace`. Then what is left is settled:
    /// spooled alerts stay on disk for the next start, the others go to the dead-letter
    /// store. Returns once the spools and the dead-letter file are synced.
    pub async fn shutdown(&self, grace: Duration) -> ShutdownReport {
        let _reload = self.reloading.lock().await;
        let table = self.table.load_full();
        flush_noise(&table, &self.dead, None);
        self.closing.cancel();
        let mut workers: Vec<Option<JoinHandle<()>>> =
            std::mem::take(&mut *self.workers.lock().await)
                .into_iter()
                .map(|w| Some(w.handle))
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
            for lane in &table.lanes {
                let pending = lane.metrics.queue_depth.get() + lane.metrics.in_flight.get();
                if pending > 0 {
                    report
                        .undelivered
                        .push((lane.name.clone(), pending as u64, lane.spooled()));
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
        // Spooled outputs forget what they gave up only once its dead letters are synced:
        // those acknowledgements reach the spools before they close.
        self.dead.flush().await;
        for lane in &table.lanes {
            lane.metrics.up.set(0);
            lane.alive.store(false, Ordering::SeqCst);
            if let Intake::Spool(spool) = &lane.intake {
                if let Err(e) = spool.close().await {
                    error!(output = %lane.name, error = %e, "Cannot sync the spool.");
                }
                lane.metrics.spool_bytes.set(spool.used() as i64);
            }
        }
        self.dead.flush().await;
        report
    }
}

/// What became of one offer to a lane.
pub(crate) enum Offer {
    Queued,
    /// Appended to the spool; queued once the commit answers.
    Committing(oneshot::Receiver<Result<u64, SpoolError>>),
    Refused(DropReason),
}

/// Puts `alert` in `lane`'s queue or spool without waiting.
pub(crate) fn offer(lane: &Lane, alert: Arc<Alert>, now: Instant) -> Offer {
    match &lane.intake {
        Intake::Memory(tx) => {
            let queued = Queued::new(alert, now, lane.metrics.queue_depth.get(), lane.pack_after);
            // Raised before sending so the worker's decrement never makes it negative.
            lane.metrics.queue_depth.inc();
            match tx.try_send(queued) {
                Ok(()) => Offer::Queued,
                Err(e) => {
                    lane.metrics.queue_depth.dec();
                    Offer::Refused(match e {
                        mpsc::error::TrySendError::Full(_) => DropReason::QueueFull,
                        mpsc::error::TrySendError::Closed(_) => DropReason::Shutdown,
                    })
                }
            }
        }
        Intake::Spool(spool) => {
            let bytes = alert.json_bytes().clone();
            let queued = Queued::new(alert, now, lane.metrics.queue_depth.get(), lane.pack_after);
            lane.metrics.queue_depth.inc();
            match spool.append(bytes, queued) {
                Ok(commit) => Offer::Committing(commit),
                Err(e) => {
                    lane.metrics.queue_depth.dec();
                    Offer::Refused(match e {
                        SpoolError::Full(_) => DropReason::SpoolFull,
                        _ => DropReason::Shutdown,
                    })
                }
            }
        }
    }
}

/// `alert` could not be queued for `lane` and nobody can send it again: dead-lettered, and
/// the output told.
fn give_up_unqueued(dead: &DeadLetters, lane: &Lane, alert: &Arc<Alert>, reason: DropReason) {
    dead.give_up(
        &lane.metrics,
        std::slice::from_ref(alert),
        reason,
        0,
        "not queued: the output's queue or spool was full",
    );
    lane.output
        .dropped(std::slice::from_ref(alert), reason.label());
}

/// Queues the summaries of closed noise windows (all windows when `now` is `None`: at a
/// reload or shutdown) for their outputs; one that cannot be queued is dead-lettered.
pub(crate) fn flush_noise(table: &Table, dead: &DeadLetters, now: Option<Instant>) {
    if !table.policy.has_noise_control() {
        return;
    }
    let at = match now {
        Some(now) => now.into_std(),
        // Far enough to close every window.
        None => std::time::Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600),
    };
    let enqueued = Instant::now();
    table.policy.expire(at, |i, alert| {
        let Some(lane) = table.lanes.get(i) else {
            return;
        };
        if let Offer::Refused(reason) = offer(lane, alert.clone(), enqueued) {
            give_up_unqueued(dead, lane, &alert, reason);
        }
    });
}

/// Sends throttle, dedup and group summaries as their windows close.
async fn noise_ticker(
    table: Arc<ArcSwap<Table>>,
    dead: Arc<DeadLetters>,
    closing: CancellationToken,
) {
    let mut tick = tokio::time::interval(NOISE_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = closing.cancelled() => return,
        }
        let table = table.load_full();
        flush_noise(&table, &dead, Some(Instant::now()));
    }
}

/// Builds every planned output; fails with every build error.
pub(crate) async fn build_all(
    planned: Vec<PlannedOutput>,
    global: &Arc<GlobalSettings>,
    resources: &Resources,
) -> Result<Vec<BuiltOutput>, StartError> {
    let mut errors = Vec::new();
    let mut built = Vec::new();
    for p in planned {
        let cx = BuildContext {
            name: p.entry.name.clone(),
            path: p.entry.path.clone(),
            global: global.clone(),
            resources: resources.clone(),
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
    if errors.is_empty() {
        Ok(built)
    } else {
        Err(StartError::Build(errors))
    }
}

/// An instance's batch limits: its `batch.*` keys over the kind's defaults; kinds that send
/// one alert per request always get batches of one.
pub(crate) fn batch_limits(entry: &OutputEntry, kind: &OutputKind) -> BatchLimits {
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
