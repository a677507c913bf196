//! Live reload: a new configuration replaces the alert policy and the outputs between two
//! alerts. Outputs whose settings did not change keep their queue, spool and connections; a
//! changed one is started anew and the old instance drains what it holds (a spooled one hands
//! its spool file over); a removed one drains within the grace period, then dead-letters the
//! rest. An invalid configuration changes nothing.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::Utc;
use falconer_config::{GlobalSettings, OutputEntry};
use falconer_metrics::{Metrics, OutputMetrics};
use falconer_policy::Policy;
use falconer_spool::{Log, Spool};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::deadletter::DeadLetters;
use crate::dispatcher::{build_all, flush_noise, StartError, Table, Worker};
use crate::held::Queued;
use crate::lane::{Fingerprint, Intake, Lane};
use crate::plan::PlannedOutput;
use crate::Dispatcher;

/// What a reload changed, by output name.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReloadReport {
    /// Kept running as they were (queue, spool, connections).
    pub kept: Vec<String>,
    /// New outputs.
    pub added: Vec<String>,
    /// Settings changed: a new instance took over, the old one drains what it holds.
    pub replaced: Vec<String>,
    /// No longer configured: they drain within the grace period.
    pub removed: Vec<String>,
}

enum Slot {
    Keep(Arc<Lane>),
    Start(Box<Fingerprint>),
}

impl Dispatcher {
    /// Switches to the outputs `planned` and the policy of `global` (routes,
    /// `defaultroute`, silences) over them. Nothing changes when the policy does not compile
    /// or an output cannot be built. Retired instances get `grace` to deliver what they hold.
    pub async fn reload(
        &self,
        planned: Vec<PlannedOutput>,
        global: Arc<GlobalSettings>,
        metrics: &Metrics,
        grace: Duration,
    ) -> Result<ReloadReport, StartError> {
        let _one = self.reloading.lock().await;
        if self.closing.is_cancelled() {
            return Err(StartError::Storage("shutting down".into()));
        }
        let entries: Vec<OutputEntry> = planned.iter().map(|p| p.entry.clone()).collect();
        let policy =
            Policy::compile_for(&entries, &global, Utc::now()).map_err(StartError::Policy)?;
        let spooled: Vec<&str> = entries
            .iter()
            .filter(|e| e.common.spool.enabled)
            .map(|e| e.name.as_str())
            .collect();
        let removed_tasks = self.open_spool(&spooled, metrics)?;
        let old = self.table.load_full();
        let mut report = ReloadReport::default();
        let mut slots = Vec::new();
        let mut to_build = Vec::new();
        for p in planned {
            let fingerprint = Fingerprint::of(&p.entry, &global);
            let name = p.entry.name.clone();
            match old.lanes.iter().find(|l| l.name == name) {
                Some(lane)
                    if lane.fingerprint == fingerprint && lane.alive.load(Ordering::SeqCst) =>
                {
                    slots.push(Slot::Keep(lane.clone()));
                    report.kept.push(name);
                }
                found => {
                    if found.is_some() {
                        report.replaced.push(name);
                    } else {
                        report.added.push(name);
                    }
                    slots.push(Slot::Start(Box::new(fingerprint)));
                    to_build.push(p);
                }
            }
        }
        let mut built = build_all(to_build, &global, &self.resources)
            .await?
            .into_iter();
        let retiring: Vec<&Arc<Lane>> = old
            .lanes
            .iter()
            .filter(|l| {
                !slots
                    .iter()
                    .any(|s| matches!(s, Slot::Keep(k) if Arc::ptr_eq(k, l)))
            })
            .collect();
        report.removed = retiring
            .iter()
            .filter(|l| !report.replaced.contains(&l.name))
            .map(|l| l.name.clone())
            .collect();
        let mut workers = self.workers.lock().await;
        workers.extend(removed_tasks);
        // A spooled output that stays spooled hands its file over: the old instance stops at
        // once (what it had not delivered stays in the file) and the new one replays it.
        for lane in &retiring {
            let respooled = entries
                .iter()
                .any(|e| e.name == lane.name && e.common.spool.enabled);
            if lane.spooled() && respooled {
                lane.closing.cancel();
                lane.deadline.cancel();
                if let Some(handle) = take_worker(&mut workers, lane.id) {
                    let _ = handle.await;
                }
                // What it gave up is forgotten by the spool once its dead letters are synced.
                self.dead.flush().await;
                if let Intake::Spool(spool) = &lane.intake {
                    if let Err(e) = spool.close().await {
                        error!(output = %lane.name, error = %e, "Cannot sync the spool handed over.");
                    }
                }
            }
        }
        let mut lanes = Vec::with_capacity(slots.len());
        for slot in slots {
            match slot {
                Slot::Keep(lane) => lanes.push(lane),
                Slot::Start(fingerprint) => {
                    let Some(b) = built.next() else {
                        return Err(StartError::Storage("an output was not built".into()));
                    };
                    let (lane, handle) = self.start_lane(b, *fingerprint, metrics)?;
                    workers.push(Worker {
                        lane: lane.id,
                        handle,
                    });
                    lanes.push(Arc::new(lane));
                }
            }
        }
        let new = Arc::new(Table {
            lanes,
            policy: Arc::new(policy),
        });
        let old = self.table.swap(new);
        self.merge_silences();
        if global.deadletter.output.is_empty() {
            self.dead.stop_redirect();
        } else {
            self.redirect_dead_letters(&global.deadletter.output);
        }
        // Counts held back under the old policy reach their outputs now.
        flush_noise(&old, &self.dead, None);
        for lane in retiring {
            let Some(handle) = take_worker(&mut workers, lane.id) else {
                continue;
            };
            let spool = match &lane.intake {
                Intake::Spool(spool) => Some(spool.clone()),
                Intake::Memory(_) => None,
            };
            let retiring = Retiring {
                name: lane.name.clone(),
                closing: lane.closing.clone(),
                deadline: lane.deadline.clone(),
                spool,
                log: self.spool_log(),
                metrics: lane.metrics.clone(),
                dead: self.dead.clone(),
            };
            workers.push(Worker {
                lane: lane.id,
                handle: tokio::spawn(retiring.drain(handle, grace, self.table.clone())),
            });
        }
        info!(
            kept = ?report.kept,
            added = ?report.added,
            replaced = ?report.replaced,
            removed = ?report.removed,
            "Configuration reloaded."
        );
        Ok(report)
    }
}

fn take_worker(workers: &mut Vec<Worker>, lane: u64) -> Option<JoinHandle<()>> {
    let i = workers.iter().position(|w| w.lane == lane)?;
    Some(workers.swap_remove(i).handle)
}

/// A lane no longer in force. It holds no sender of its queue: the queue closes once the
/// last alert dispatched under the old configuration is in it, and the worker ends when it
/// has delivered the rest.
struct Retiring {
    name: String,
    closing: CancellationToken,
    deadline: CancellationToken,
    spool: Option<Spool<Queued>>,
    /// The shared log, to take back what a spooled output that is gone left in it.
    log: Option<Log<Queued>>,
    metrics: OutputMetrics,
    dead: Arc<DeadLetters>,
}

impl Retiring {
    async fn drain(self, mut worker: JoinHandle<()>, grace: Duration, table: Arc<ArcSwap<Table>>) {
        if self.spool.is_some() {
            self.closing.cancel();
        }
        if tokio::time::timeout(grace, &mut worker).await.is_err() {
            warn!(output = %self.name, grace = ?grace, "Retired by a reload and not drained within the grace period; what it still holds is settled (dead letters, or left in its spool).");
            self.deadline.cancel();
            let _ = worker.await;
        }
        if let Some(spool) = &self.spool {
            // What it gave up is forgotten by the spool once its dead letters are synced.
            self.dead.flush().await;
            if let Err(e) = spool.close().await {
                error!(output = %self.name, error = %e, "Cannot sync the spool of a retired output.");
            }
        }
        let table = table.load();
        let respooled = table
            .lanes
            .iter()
            .any(|l| l.name == self.name && l.spooled());
        if let (Some(log), false, true) = (&self.log, respooled, self.spool.is_some()) {
            // Gone, or no longer spooled: what it left would hold the log's segments forever.
            crate::dispatcher::keep_removed(
                log.clone(),
                self.dead.clone(),
                self.metrics.clone(),
                self.name.clone(),
            )
            .await;
        }
        // The worker marked the output down as it ended; a successor of the same name is up.
        if let Some(lane) = table.lanes.iter().find(|l| l.name == self.name) {
            if lane.alive.load(Ordering::SeqCst) {
                lane.metrics.up.set(1);
            }
        }
    }
}
