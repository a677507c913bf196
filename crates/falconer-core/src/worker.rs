//! One worker per output instance: takes batches from the instance's bounded queue and runs
//! delivery attempts, at most `maxconcurrentrequests` at once, each under a timeout.
//!
//! Ordering: with `maxconcurrentrequests: 1` (the default) alerts are delivered in the order
//! they were accepted; with more, attempts overlap and may complete out of order.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use falconer_event::Alert;
use falconer_metrics::{DropReason, OutputMetrics};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, Instrument};

use crate::error::SendError;
use crate::output::Output;
use crate::throttle::LogThrottle;

/// An alert waiting in an output's queue.
#[derive(Debug)]
pub(crate) struct Envelope {
    pub(crate) alert: Arc<Alert>,
    pub(crate) enqueued: Instant,
}

/// How a worker runs.
#[derive(Clone, Debug)]
pub(crate) struct WorkerSettings {
    pub(crate) name: String,
    pub(crate) kind: &'static str,
    pub(crate) concurrency: usize,
    pub(crate) timeout: Duration,
    pub(crate) max_batch: usize,
}

/// Highest concurrency `maxconcurrentrequests: 0` ("unlimited") stands for.
pub(crate) const UNLIMITED_CONCURRENCY: usize = 1024;

/// Runs until the queue is closed (see [`crate::Dispatcher::shutdown`]) and drained.
pub(crate) async fn run(
    mut rx: mpsc::Receiver<Envelope>,
    output: Arc<dyn Output>,
    settings: WorkerSettings,
    metrics: OutputMetrics,
    closing: CancellationToken,
    alive: Arc<AtomicBool>,
) {
    let span = tracing::info_span!("output", output = %settings.name, kind = settings.kind);
    async move {
        alive.store(true, Ordering::SeqCst);
        metrics.up.set(1);
        let permits = Arc::new(Semaphore::new(settings.concurrency));
        let mut attempts = JoinSet::new();
        let failure_log = Arc::new(LogThrottle::new(1000));
        let mut closed = false;
        loop {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let mut batch = Vec::with_capacity(settings.max_batch);
            let received = tokio::select! {
                n = rx.recv_many(&mut batch, settings.max_batch) => n,
                () = closing.cancelled(), if !closed => {
                    // Stop accepting; keep draining what is already queued.
                    rx.close();
                    closed = true;
                    continue;
                }
            };
            if received == 0 {
                break;
            }
            metrics.queue_depth.sub(received as i64);
            // Armed before the task exists, so a batch whose task is aborted before it first
            // runs is still counted.
            let guard = InFlight::new(received, &metrics);
            let attempt = deliver(
                output.clone(),
                batch,
                settings.timeout,
                metrics.clone(),
                guard,
                failure_log.clone(),
            );
            attempts.spawn(
                async move {
                    attempt.await;
                    drop(permit);
                }
                .in_current_span(),
            );
            while attempts.try_join_next().is_some() {}
        }
        while attempts.join_next().await.is_some() {}
        metrics.up.set(0);
        alive.store(false, Ordering::SeqCst);
        debug!("Output worker stopped.");
    }
    .instrument(span)
    .await;
}

/// Accounts for a batch in flight even if the attempt panics or is cancelled.
struct InFlight {
    count: usize,
    metrics: OutputMetrics,
    settled: bool,
}

impl InFlight {
    fn new(count: usize, metrics: &OutputMetrics) -> Self {
        metrics.in_flight.add(count as i64);
        InFlight {
            count,
            metrics: metrics.clone(),
            settled: false,
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.metrics.in_flight.sub(self.count as i64);
        if !self.settled {
            // The output panicked, or the shutdown deadline cut the attempt off.
            error!(
                alerts = self.count,
                "Delivery attempt aborted; alerts lost."
            );
            self.metrics.attempt_failed(self.count as u64, "aborted");
            self.metrics.dropped(self.count as u64, DropReason::Aborted);
        }
    }
}

/// One delivery attempt for `batch`. Retries with backoff slot in here.
async fn deliver(
    output: Arc<dyn Output>,
    batch: Vec<Envelope>,
    timeout: Duration,
    metrics: OutputMetrics,
    mut guard: InFlight,
    failure_log: Arc<LogThrottle>,
) {
    let alerts: Vec<Arc<Alert>> = batch.iter().map(|e| e.alert.clone()).collect();
    let result = match tokio::time::timeout(timeout, output.send(&alerts)).await {
        Ok(result) => result,
        Err(_) => Err(SendError::Timeout(timeout)),
    };
    let count = batch.len() as u64;
    match result {
        Ok(()) => {
            metrics.delivered(count);
            for e in &batch {
                metrics.latency.observe(e.enqueued.elapsed().as_secs_f64());
            }
        }
        Err(e) => {
            metrics.attempt_failed(count, e.label());
            metrics.dropped(count, DropReason::DeliveryFailed);
            if let Some(suppressed) = failure_log.check() {
                let uuids: Vec<&str> = alerts.iter().map(|a| a.uuid.as_str()).collect();
                error!(
                    error = %e,
                    class = e.label(),
                    alerts = count,
                    ?uuids,
                    suppressed,
                    "Delivery failed; alerts dropped."
                );
            }
        }
    }
    guard.settled = true;
}
