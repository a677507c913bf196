//! One output instance's lane: its intake (bounded queue or durable spool), its worker, breaker
//! and metrics, and what identifies its settings so a reload can tell whether it changed.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use falconer_config::{CommonSettings, GlobalSettings, OutputEntry, OverflowPolicy};
use falconer_metrics::{Metrics, OutputMetrics};
use falconer_spool::{Log, Spool};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::breaker::Breaker;
use crate::deadletter::DeadLetters;
use crate::dispatcher::{batch_limits, BuiltOutput, StartError};
use crate::held::Queued;
use crate::output::Output;
use crate::retry::RetryPolicy;
use crate::source::MemorySource;
use crate::source::{Batcher, Source, SpoolSource};
use crate::throttle::LogThrottle;
use crate::worker::{self, Delivery, Stop, UNLIMITED_CONCURRENCY};

/// Where the dispatcher puts an alert for a lane.
pub(crate) enum Intake {
    Memory(mpsc::Sender<Queued>),
    Spool(Spool<Queued>),
}

/// Everything that shapes how an output instance delivers: its kind and keys, its delivery
/// settings (not its filters, which the policy applies), and the global keys outputs read.
/// Equal fingerprints across a reload keep the running instance.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Fingerprint {
    kind: String,
    settings: Value,
    delivery: CommonSettings,
    global: GlobalOutputKeys,
}

#[derive(Clone, Debug, PartialEq)]
struct GlobalOutputKeys {
    tlsclient: falconer_config::TlsClient,
    mutualtlsclient: falconer_config::MutualTlsClient,
    mutualtlsfilespath: String,
    customfields: std::collections::BTreeMap<String, String>,
    customtags: Vec<String>,
    templatedfields: std::collections::BTreeMap<String, String>,
    bracketreplacer: String,
    outputfieldformat: String,
    datadir: String,
}

impl Fingerprint {
    pub(crate) fn of(entry: &OutputEntry, global: &GlobalSettings) -> Self {
        let mut delivery = entry.common.clone();
        // The policy applies these; changing them does not touch the running instance.
        delivery.minimumpriority.clear();
        delivery.condition.clear();
        delivery.throttle = None;
        delivery.dedup = None;
        delivery.group = None;
        Fingerprint {
            kind: entry.kind.clone(),
            settings: entry.settings.clone(),
            delivery,
            global: GlobalOutputKeys {
                tlsclient: global.tlsclient.clone(),
                mutualtlsclient: global.mutualtlsclient.clone(),
                mutualtlsfilespath: global.mutualtlsfilespath.clone(),
                customfields: global.customfields.clone(),
                customtags: global.customtags.clone(),
                templatedfields: global.templatedfields.clone(),
                bracketreplacer: global.bracketreplacer.clone(),
                outputfieldformat: global.outputfieldformat.clone(),
                datadir: global.datadir.clone(),
            },
        }
    }
}

/// A running output instance as the dispatcher sees it.
pub(crate) struct Lane {
    /// Unique in the process (a reload may run two lanes of one name for a while).
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) fingerprint: Fingerprint,
    pub(crate) overflow: OverflowPolicy,
    pub(crate) intake: Intake,
    /// Queued alerts beyond which a new one waits packed ([`crate::held::pack_after`]).
    pub(crate) pack_after: i64,
    pub(crate) metrics: OutputMetrics,
    pub(crate) alive: Arc<AtomicBool>,
    pub(crate) breaker: Arc<Breaker>,
    pub(crate) drop_log: LogThrottle,
    /// Told of the alerts given up for it ([`Output::dropped`]).
    pub(crate) output: Arc<dyn Output>,
    /// Stops its intake (children of the dispatcher's own tokens, so a shutdown stops all).
    pub(crate) closing: CancellationToken,
    /// Ends its grace period.
    pub(crate) deadline: CancellationToken,
}

impl Lane {
    pub(crate) fn spooled(&self) -> bool {
        matches!(self.intake, Intake::Spool(_))
    }
}

/// The tokens a lane's own are children of.
pub(crate) struct Parents<'a> {
    pub(crate) closing: &'a CancellationToken,
    pub(crate) deadline: &'a CancellationToken,
}

/// Opens the lane of `built` (its lane of the shared spool log when it is spooled) and starts
/// its worker.
pub(crate) fn start_lane(
    id: u64,
    built: BuiltOutput,
    fingerprint: Fingerprint,
    metrics: &Metrics,
    dead: &Arc<DeadLetters>,
    spool_log: Option<&Log<Queued>>,
    parents: &Parents<'_>,
) -> Result<(Lane, JoinHandle<()>), StartError> {
    let BuiltOutput {
        entry,
        kind,
        output,
    } = built;
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
    let pack_after = crate::held::pack_after(limits.max_events);
    let (intake, source, spool) = if common.spool.enabled {
        let log = spool_log.ok_or_else(|| {
            StartError::Storage(format!("{}: the spool directory is not open", entry.path))
        })?;
        let (hot_tx, hot_rx) = mpsc::channel(common.queue.capacity);
        let gauge = output_metrics.spool_bytes.clone();
        let on_used = Box::new(move |used: u64| gauge.set(used as i64));
        let spool = log
            .attach(&entry.name, common.spool.maxbytes, hot_tx, on_used)
            .map_err(|e| {
                StartError::Storage(format!(
                    "{}: spool {}: {e}",
                    entry.path,
                    log.dir().display()
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
        (
            Intake::Memory(tx),
            Source::Memory(Box::new(MemorySource::new(rx, output_metrics.clone()))),
            None,
        )
    };
    let concurrency = match common.maxconcurrentrequests {
        0 => UNLIMITED_CONCURRENCY,
        n => n.min(UNLIMITED_CONCURRENCY),
    };
    info!(
        output = %entry.name,
        kind = kind.name,
        concurrency,
        queue = common.queue.capacity,
        spool = common.spool.enabled,
        max_attempts = policy.max_attempts,
        batch = limits.max_events,
        "Output enabled."
    );
    let delivery = Arc::new(Delivery {
        output: output.clone(),
        timeout: common.timeout.0,
        policy,
        breaker: breaker.clone(),
        metrics: output_metrics.clone(),
        dead: dead.clone(),
        spool,
        retry_log: LogThrottle::new(1000),
    });
    let closing = parents.closing.child_token();
    let deadline = parents.deadline.child_token();
    let worker = tokio::spawn(worker::run(
        Batcher::new(source, limits),
        delivery,
        concurrency,
        Stop {
            closing: closing.clone(),
            deadline: deadline.clone(),
        },
        alive.clone(),
    ));
    let lane = Lane {
        id,
        name: entry.name.clone(),
        fingerprint,
        overflow: common.queue.overflow,
        intake,
        pack_after,
        metrics: output_metrics,
        alive,
        breaker,
        drop_log: LogThrottle::new(1000),
        output,
        closing,
        deadline,
    };
    Ok((lane, worker))
}
