//! One worker per output instance: takes batches from the instance's source and runs delivery
//! attempts, at most `maxconcurrentrequests` at once, each under the timeout, retried by the
//! instance's policy behind its circuit breaker, and given up to the dead-letter store.
//!
//! Ordering: with `maxconcurrentrequests: 1` (the default) alerts are delivered in the order
//! they were accepted, retries included: a batch being retried holds back the ones behind it
//! (which wait in the queue or spool, whose overflow policy applies). With more, batches are
//! attempted and retried independently and may arrive out of order.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use falconer_event::Alert;
use falconer_metrics::{DropReason, OutputMetrics};
use falconer_spool::Spool;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn, Instrument};

use crate::breaker::Breaker;
use crate::deadletter::DeadLetters;
use crate::error::SendError;
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

impl Envelope {
    pub(crate) fn new(alert: Arc<Alert>, enqueued: Instant) -> Self {
        Envelope {
            alert,
            enqueued,
            seq: None,
        }
    }
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
    pub(crate) spool: Option<Spool<Envelope>>,
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
        let permits = Arc::new(Semaphore::new(concurrency));
        let mut attempts = JoinSet::new();
        let mut closed = false;
        let mut cut_off = false;
        loop {
            let permit = tokio::select! {
                p = permits.clone().acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break,
                },
                () = stop.deadline.cancelled() => { cut_off = true; break; }
            };
            let batch = tokio::select! {
                b = batcher.next_batch() => b,
                () = stop.closing.cancelled(), if !closed => {
                    // Stop intake; keep draining what is already there.
                    batcher.source.close();
                    closed = true;
                    continue;
                }
                () = stop.deadline.cancelled() => { cut_off = true; break; }
            };
            let Some(batch) = batch else { break };
            let guard = Settle::new(batch, &delivery);
            let delivery = delivery.clone();
            attempts.spawn(
                async move {
                    deliver(&delivery, guard).await;
                    drop(permit);
                }
                .in_current_span(),
            );
            while attempts.try_join_next().is_some() {}
        }
        if !cut_off {
            tokio::select! {
                () = async { while attempts.join_next().await.is_some() {} } => {}
                () = stop.deadline.cancelled() => cut_off = true,
            }
        }
        if cut_off {
            // Aborted attempts settle their alerts in `Settle::drop`.
            attempts.shutdown().await;
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
struct Settle {
    pending: Vec<Envelope>,
    metrics: OutputMetrics,
    dead: Arc<DeadLetters>,
    spool: Option<Spool<Envelope>>,
    attempts: u32,
}

impl Settle {
    fn new(batch: Vec<Envelope>, delivery: &Delivery) -> Self {
        delivery.metrics.in_flight.add(batch.len() as i64);
        if delivery.spool.is_none() {
            delivery.metrics.queue_depth.sub(batch.len() as i64);
        }
        Settle {
            pending: batch,
            metrics: delivery.metrics.clone(),
            dead: delivery.dead.clone(),
            spool: delivery.spool.clone(),
            attempts: 0,
        }
    }

    fn alerts(&self) -> Vec<Arc<Alert>> {
        self.pending.iter().map(|e| e.alert.clone()).collect()
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
        self.metrics.in_flight.sub(taken.len() as i64);
        taken
    }

    fn delivered(&mut self, envelopes: Vec<Envelope>) {
        self.metrics.delivered(envelopes.len() as u64);
        for e in &envelopes {
            self.metrics
                .latency
                .observe(e.enqueued.elapsed().as_secs_f64());
        }
        self.ack(&envelopes);
    }

    fn give_up(&mut self, envelopes: Vec<Envelope>, reason: DropReason, error: &str) {
        let alerts: Vec<Arc<Alert>> = envelopes.iter().map(|e| e.alert.clone()).collect();
        self.dead
            .give_up(&self.metrics, &alerts, reason, self.attempts, error);
        self.ack(&envelopes);
    }

    fn ack(&self, envelopes: &[Envelope]) {
        if let Some(spool) = &self.spool {
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
        let left = self.split_off(&self.all());
        if std::thread::panicking() {
            self.give_up(left, DropReason::Aborted, "the output panicked");
        } else if self.spool.is_some() {
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

/// Delivers one batch: attempts behind the breaker, each under the timeout; what fails is
/// retried by the policy or given up to the dead-letter store.
async fn deliver(delivery: &Delivery, mut batch: Settle) {
    let metrics = &delivery.metrics;
    loop {
        delivery.breaker.admit().await;
        batch.attempts += 1;
        metrics.attempts.inc();
        let alerts = batch.alerts();
        let result =
            match tokio::time::timeout(delivery.timeout, delivery.output.send(&alerts)).await {
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
                let all = batch.split_off(&batch.all());
                batch.delivered(all);
                return;
            }
            Err(SendError::Partial(failed)) => {
                // The destination works: deliver the rest, decide item by item.
                delivery.breaker.record(true);
                partial(delivery, &mut batch, failed)
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
                let all = batch.split_off(&batch.all());
                batch.give_up(all, reason, &error.to_string());
                return;
            }
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
