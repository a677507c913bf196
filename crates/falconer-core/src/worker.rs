//! One worker per output instance: takes batches from the instance's source and runs delivery
//! attempts, at most `maxconcurrentrequests` at once, each under the timeout, retried by the
//! instance's policy behind its circuit breaker, and given up to the dead-letter store.
//!
//! Ordering: with `maxconcurrentrequests: 1` (the default) alerts are delivered in the order
//! they were accepted, retries included: a batch being retried holds back the ones behind it
//! (which wait in the queue or spool, whose overflow policy applies). With more, batches are
//! attempted and retried independently and may arrive out of order.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use falconer_event::Alert;
use falconer_metrics::{DropReason, OutputMetrics};
use falconer_spool::Spool;
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn, Instrument};

use crate::breaker::Breaker;
use crate::deadletter::{AfterKept, DeadLetters};
use crate::error::SendError;
use crate::held::Queued;
use crate::output::Output;
use crate::retry::{Decision, RetryPolicy};
use crate::source::Batcher;
use crate::throttle::LogThrottle;

/// An alert waiting for an output.
#[derive(Debug)]
pub(crate) struct Envelope {
    pub(crate) alert: Arc<Alert>,
    pub(crate) enqueued: Instant,
    /// Its record in the output's spool, acknowledged once the alert is settled.
    pub(crate) seq: Option<u64>,
}

/// Highest concurrency `maxconcurrentrequests: 0` ("unlimited") stands for.
pub(crate) const UNLIMITED_CONCURRENCY: usize = 1024;

/// Everything the attempts of one output instance share.
pub(crate) struct Delivery {
    pub(crate) output: Arc<dyn Output>,
    pub(crate) timeout: Duration,
    pub(crate) policy: RetryPolicy,
    pub(crate) breaker: Arc<Breaker>,
    pub(crate) metrics: OutputMetrics,
    pub(crate) dead: Arc<DeadLetters>,
    pub(crate) spool: Option<Spool<Queued>>,
    pub(crate) retry_log: LogThrottle,
}

/// How the worker is stopped: `closing` stops intake (drain what is queued), `deadline` ends
/// the grace period (abandon what is left).
pub(crate) struct Stop {
    pub(crate) closing: CancellationToken,
    pub(crate) deadline: CancellationToken,
}

/// Runs until the source is closed and drained, or the deadline.
pub(crate) async fn run(
    mut batcher: Batcher,
    delivery: Arc<Delivery>,
    concurrency: usize,
    stop: Stop,
    alive: Arc<AtomicBool>,
) {
    let name = delivery.metrics.output_name().to_owned();
    let kind = delivery.metrics.kind().to_owned();
    let span = tracing::info_span!("output", output = %name, kind = %kind);
    async move {
        alive.store(true, Ordering::SeqCst);
        delivery.metrics.up.set(1);
        // The attempts in flight, polled by this task: no task, join handle or span per
        // attempt. A panicking output is caught per batch (`run_batch`).
        let mut attempts = FuturesUnordered::new();
        let deadline = stop.deadline.cancelled();
        let closing = stop.closing.cancelled();
        tokio::pin!(deadline, closing);
        let mut closed = false;
        let mut drained = false;
        let mut cut_off = false;
        while !(drained && attempts.is_empty()) {
            tokio::select! {
                biased;
                () = &mut deadline => { cut_off = true; break; }
                () = &mut closing, if !closed => {
                    // Stop intake; keep draining what is already there.
                    batcher.source.close();
                    closed = true;
                }
                Some(()) = attempts.next(), if !attempts.is_empty() => {}
                batch = batcher.next_batch(), if !drained && attempts.len() < concurrency => {
                    match batch {
                        Some(batch) => attempts.push(run_batch(Settle::new(batch, delivery.clone()))),
                        None => drained = true,
                    }
                }
            }
        }
        if cut_off {
            // Dropped attempts settle their alerts in `Settle::drop`.
            drop(attempts);
            batcher.source.abandon(&delivery.metrics, &delivery.dead);
        }
        delivery.metrics.up.set(0);
        alive.store(false, Ordering::SeqCst);
        debug!("Output worker stopped.");
    }
    .instrument(span)
    .await;
}

/// The alerts of one batch not yet settled (delivered, or given up). Whatever is still here
/// when it is dropped, because the output panicked or the shutdown deadline cut the attempt
/// off, is settled then: dead-lettered, or left in the spool for the next start.
///
/// It shares its output's [`Delivery`] (one reference count per batch, not a copy of every
/// metric handle and label).
struct Settle {
    pending: Vec<Envelope>,
    delivery: Arc<Delivery>,
    attempts: u32,
}

impl Settle {
    fn new(batch: Vec<Envelope>, delivery: Arc<Delivery>) -> Self {
        delivery.metrics.in_flight.add(batch.len() as i64);
        if delivery.spool.is_none() {
            delivery.metrics.queue_depth.sub(batch.len() as i64);
        }
        Settle {
            pending: batch,
            delivery,
            attempts: 0,
        }
    }

    /// Removes the envelopes at `indices` (sorted, ascending) from the pending set and
    /// settles them; the others stay pending.
    fn split_off(&mut self, indices: &[usize]) -> Vec<Envelope> {
        let mut taken = Vec::with_capacity(indices.len());
        let mut kept = Vec::with_capacity(self.pending.len());
        for (i, e) in std::mem::take(&mut self.pending).into_iter().enumerate() {
            if indices.binary_search(&i).is_ok() {
                taken.push(e);
            } else {
                kept.push(e);
            }
        }
        self.pending = kept;
        self.delivery.metrics.in_flight.sub(taken.len() as i64);
        taken
    }

    /// Removes every pending envelope (without the index bookkeeping of `split_off`).
    fn take_all(&mut self) -> Vec<Envelope> {
        let taken = std::mem::take(&mut self.pending);
        self.delivery.metrics.in_flight.sub(taken.len() as i64);
        taken
    }

    fn delivered(&mut self, envelopes: Vec<Envelope>) {
        let metrics = &self.delivery.metrics;
        metrics.delivered(envelopes.len() as u64);
        // One clock read for the batch.
        let now = Instant::now();
        for e in &envelopes {
            let latency = now.saturating_duration_since(e.enqueued);
            metrics.latency.observe(latency.as_secs_f64());
        }
        self.ack(&envelopes);
    }

    fn give_up(&mut self, envelopes: Vec<Envelope>, reason: DropReason, error: &str) {
        let alerts: Vec<Arc<Alert>> = envelopes.iter().map(|e| e.alert.clone()).collect();
        let delivery = &self.delivery;
        // A spooled output forgets the alerts in its spool only once their dead letters are
        // on disk: a crash in between keeps them twice, never loses them.
        let forget: Option<AfterKept> = delivery.spool.as_ref().map(|spool| {
            let spool = spool.clone();
            let seqs: Vec<u64> = envelopes.iter().filter_map(|e| e.seq).collect();
            Box::new(move || spool.ack(seqs)) as AfterKept
        });
        delivery.dead.give_up_then(
            &delivery.metrics,
            &alerts,
            reason,
            self.attempts,
            error,
            forget,
        );
        if !alerts.is_empty() {
            delivery.output.dropped(&alerts, reason.label());
        }
    }

    fn ack(&self, envelopes: &[Envelope]) {
        if let Some(spool) = &self.delivery.spool {
            spool.ack(envelopes.iter().filter_map(|e| e.seq).collect());
        }
    }

    fn all(&self) -> Vec<usize> {
        (0..self.pending.len()).collect()
    }
}

impl Drop for Settle {
    fn drop(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let left = self.take_all();
        if std::thread::panicking() {
            self.give_up(left, DropReason::Aborted, "the output panicked");
        } else if self.delivery.spool.is_some() {
            // Still in the spool, unacknowledged: delivered after the restart.
            warn!(
                alerts = left.len(),
                "Shutdown grace period ended during delivery; alerts stay in the spool."
            );
        } else {
            self.give_up(
                left,
                DropReason::Shutdown,
                "shutdown grace period ended during delivery",
            );
        }
    }
}

/// Delivers one batch; should the output panic, what is left of the batch is given up
/// (`aborted`) and the worker goes on with the next batches.
async fn run_batch(mut batch: Settle) {
    let delivery = batch.delivery.clone();
    let outcome = AssertUnwindSafe(deliver(&delivery, &mut batch))
        .catch_unwind()
        .await;
    if outcome.is_err() {
        let left = batch.take_all();
        batch.give_up(left, DropReason::Aborted, "the output panicked");
    }
}

/// Delivers one batch: attempts behind the breaker, each under the timeout; what fails is
/// retried by the policy or given up to the dead-letter store.
async fn deliver(delivery: &Delivery, batch: &mut Settle) {
    let metrics = &delivery.metrics;
    loop {
        delivery.breaker.admit().await;
        batch.attempts += 1;
        metrics.attempts.inc();
        let result = match tokio::time::timeout(delivery.timeout, attempt(delivery, batch)).await {
            Ok(result) => result,
            Err(_) => Err(SendError::Timeout(delivery.timeout)),
        };
        let truncated = delivery.output.take_truncations();
        if truncated > 0 {
            metrics.truncations.inc_by(truncated);
        }
        let error = match result {
            Ok(()) => {
                delivery.breaker.record(true);
                let all = batch.take_all();
                batch.delivered(all);
                return;
            }
            Err(SendError::Partial(failed)) => {
                // The destination works: deliver the rest, decide item by item.
                delivery.breaker.record(true);
                partial(delivery, batch, failed)
            }
            Err(e) => {
                delivery.breaker.record(false);
                metrics.attempt_failed(batch.pending.len() as u64, e.label());
                Some(e)
            }
        };
        let Some(error) = error else { return };
        let age = batch
            .pending
            .iter()
            .map(|e| e.enqueued.elapsed())
            .max()
            .unwrap_or_default();
        match delivery.policy.decide(&error, batch.attempts, age) {
            Decision::RetryIn(wait) => {
                metrics.retries.inc();
                if let Some(suppressed) = delivery.retry_log.check() {
                    warn!(
                        error = %error,
                        class = error.label(),
                        attempt = batch.attempts,
                        alerts = batch.pending.len(),
                        wait = ?wait,
                        suppressed,
                        "Delivery failed; retrying."
                    );
                }
                tokio::time::sleep(wait).await;
            }
            Decision::GiveUp(reason) => {
                let all = batch.take_all();
                batch.give_up(all, reason, &error.to_string());
                return;
            }
        }
    }
}

/// One attempt at the batch's pending alerts (a batch of one is sent as it is, without
/// collecting the alerts into a new vector).
async fn attempt(delivery: &Delivery, batch: &Settle) -> Result<(), SendError> {
    match batch.pending.as_slice() {
        [one] => delivery.output.send(std::slice::from_ref(&one.alert)).await,
        many => {
            let alerts: Vec<Arc<Alert>> = many.iter().map(|e| e.alert.clone()).collect();
            delivery.output.send(&alerts).await
        }
    }
}

/// Settles a partially accepted batch: the accepted alerts are delivered, the failed ones
/// that cannot be retried are given up; returns the error to retry the rest with, if any.
fn partial(
    delivery: &Delivery,
    batch: &mut Settle,
    failed: Vec<(usize, SendError)>,
) -> Option<SendError> {
    let mut failed: Vec<(usize, SendError)> = failed
        .into_iter()
        .filter(|(i, _)| *i < batch.pending.len())
        .collect();
    failed.sort_by_key(|(i, _)| *i);
    failed.dedup_by_key(|(i, _)| *i);
    let failed_indices: Vec<usize> = failed.iter().map(|(i, _)| *i).collect();
    let accepted: Vec<usize> = batch
        .all()
        .into_iter()
        .filter(|i| failed_indices.binary_search(i).is_err())
        .collect();
    for (_, e) in &failed {
        delivery.metrics.attempt_failed(1, e.label());
    }
    // Indices are positions in the batch as sent: settle the refused and the accepted ones
    // in one pass, so positions stay those of the batch as sent.
    let (never, retry): (Vec<_>, Vec<_>) = failed
        .into_iter()
        .partition(|(_, e)| e.retry() == crate::error::Retry::Never);
    let mut remove: Vec<usize> = never.iter().map(|(i, _)| *i).chain(accepted).collect();
    remove.sort_unstable();
    let removed = batch.split_off(&remove);
    let mut done = Vec::new();
    let mut refused = Vec::new();
    for (position, envelope) in remove.iter().zip(removed) {
        match never.iter().find(|(i, _)| i == position) {
            Some((_, e)) => refused.push((envelope, e.to_string())),
            None => done.push(envelope),
        }
    }
    batch.delivered(done);
    for (envelope, error) in refused {
        batch.give_up(vec![envelope], DropReason::Rejected, &error);
    }
    retry.into_iter().next().map(|(_, e)| e)
}
