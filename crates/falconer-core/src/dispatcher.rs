//! The router: hands each accepted alert to the queue of every output instance whose filter
//! matches, without waiting on any output's I/O, and drains the queues at shutdown.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use falconer_config::{GlobalSettings, OutputEntry, OverflowPolicy};
use falconer_event::{Alert, Priority};
use falconer_metrics::{DropReason, Metrics, OutputMetrics};
use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::error::BuildError;
use crate::kind::{BuildContext, OutputKind};
use crate::output::Output;
use crate::plan::PlannedOutput;
use crate::throttle::LogThrottle;
use crate::worker::{self, Envelope, WorkerSettings, UNLIMITED_CONCURRENCY};

struct Route {
    name: String,
    minimum: Option<Priority>,
    overflow: OverflowPolicy,
    tx: mpsc::Sender<Envelope>,
    metrics: OutputMetrics,
    alive: Arc<AtomicBool>,
    drop_log: LogThrottle,
}

/// What became of one alert.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DispatchOutcome {
    /// Outputs that queued it.
    pub queued: usize,
    /// Outputs whose queue was full.
    pub dropped: usize,
    /// The first output that refused it: full with policy `reject`, or shut down. The ingest
    /// answers 503 so the sender knows.
    pub rejected_by: Option<String>,
}

/// Alerts not delivered when the shutdown grace period ended, per output.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ShutdownReport {
    /// (output, alerts still queued or in flight), for outputs that did not drain.
    pub undelivered: Vec<(String, u64)>,
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

/// Routes alerts to output workers.
pub struct Dispatcher {
    routes: Vec<Route>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    closing: CancellationToken,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.routes.iter().map(|r| r.name.as_str()).collect();
        f.debug_struct("Dispatcher")
            .field("outputs", &names)
            .finish()
    }
}

impl Dispatcher {
    /// Builds every planned output and starts its worker. Fails with every build error.
    pub async fn start(
        planned: Vec<PlannedOutput>,
        metrics: &Metrics,
        global: Arc<GlobalSettings>,
    ) -> Result<Self, Vec<BuildError>> {
        let mut errors = Vec::new();
        let mut built = Vec::new();
        for p in planned {
            let cx = BuildContext {
                name: p.entry.name.clone(),
                path: p.entry.path.clone(),
                global: global.clone(),
            };
            match p.prepared.build(cx).await {
                Ok(output) => built.push(BuiltOutput {
                    entry: p.entry,
                    kind: p.kind,
                    output,
                }),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self::launch(built, metrics))
    }

    /// Starts a worker for each built output.
    pub fn launch(built: Vec<BuiltOutput>, metrics: &Metrics) -> Self {
        let closing = CancellationToken::new();
        let mut routes = Vec::new();
        let mut workers = Vec::new();
        for BuiltOutput {
            entry,
            kind,
            output,
        } in built
        {
            let common = &entry.common;
            let (tx, rx) = mpsc::channel(common.queue.capacity);
            let output_metrics = metrics.output(&entry.name, kind.name, kind.destination);
            let alive = Arc::new(AtomicBool::new(true));
            let settings = WorkerSettings {
                name: entry.name.clone(),
                kind: kind.name,
                concurrency: match common.maxconcurrentrequests {
                    0 => UNLIMITED_CONCURRENCY,
                    n => n.min(UNLIMITED_CONCURRENCY),
                },
                timeout: common.timeout.0,
                max_batch: kind.defaults.max_batch.max(1),
            };
            info!(
                output = %entry.name,
                kind = kind.name,
                minimumpriority = ?common.minimum_priority(),
                concurrency = settings.concurrency,
                queue = common.queue.capacity,
                "Output enabled."
            );
            workers.push(tokio::spawn(worker::run(
                rx,
                output,
                settings,
                output_metrics.clone(),
                closing.clone(),
                alive.clone(),
            )));
            routes.push(Route {
                name: entry.name.clone(),
                minimum: common.minimum_priority(),
                overflow: common.queue.overflow,
                tx,
                metrics: output_metrics,
                alive,
                drop_log: LogThrottle::new(1000),
            });
        }
        Dispatcher {
            routes,
            workers: Mutex::new(workers),
            closing,
        }
    }

    /// Queues `alert` for every output whose `minimumpriority` it meets (the `/test` alert
    /// meets every one). Never waits: a full queue is handled by the output's overflow policy.
    pub fn dispatch(&self, alert: Arc<Alert>) -> DispatchOutcome {
        let mut outcome = DispatchOutcome::default();
        let now = Instant::now();
        for route in &self.routes {
            if !alert.is_test() && route.minimum.is_some_and(|min| alert.priority < min) {
                continue;
            }
            let envelope = Envelope {
                alert: alert.clone(),
                enqueued: now,
            };
            // Raised before sending so the worker's decrement can never make it negative.
            route.metrics.queue_depth.inc();
            match route.tx.try_send(envelope) {
                Ok(()) => outcome.queued += 1,
                Err(e) => {
                    route.metrics.queue_depth.dec();
                    let reason = match e {
                        mpsc::error::TrySendError::Full(_) => DropReason::QueueFull,
                        mpsc::error::TrySendError::Closed(_) => DropReason::Shutdown,
                    };
                    route.metrics.dropped(1, reason);
                    outcome.dropped += 1;
                    // A shut-down output refuses like `reject`: the sender must not think the
                    // alert was taken.
                    let refuse =
                        route.overflow == OverflowPolicy::Reject || reason == DropReason::Shutdown;
                    if refuse && outcome.rejected_by.is_none() {
                        outcome.rejected_by = Some(route.name.clone());
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
            }
        }
        outcome
    }

    /// Names of the outputs whose worker is not running (empty when all are ready).
    pub fn not_running(&self) -> Vec<&str> {
        self.routes
            .iter()
            .filter(|r| !r.alive.load(Ordering::SeqCst))
            .map(|r| r.name.as_str())
            .collect()
    }

    /// Output names, in configuration order.
    pub fn outputs(&self) -> impl Iterator<Item = &str> {
        self.routes.iter().map(|r| r.name.as_str())
    }

    /// Stops accepting alerts, lets the workers drain their queues for up to `grace`, then
    /// stops them; what was still queued or in flight is counted as dropped (`shutdown`).
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
        if drained {
            return report;
        }
        for route in &self.routes {
            let pending = route.metrics.queue_depth.get() + route.metrics.in_flight.get();
            if pending > 0 {
                report
                    .undelivered
                    .push((route.name.clone(), pending as u64));
            }
        }
        for handle in workers.into_iter().flatten() {
            handle.abort();
            let _ = handle.await;
        }
        for route in &self.routes {
            let queued = route.metrics.queue_depth.get();
            if queued > 0 {
                route.metrics.dropped(queued as u64, DropReason::Shutdown);
                route.metrics.queue_depth.set(0);
            }
            route.metrics.up.set(0);
            route.alive.store(false, Ordering::SeqCst);
        }
        report
    }
}
