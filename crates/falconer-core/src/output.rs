//! The output contract: protocol only. Queueing, concurrency, timeouts, retries and metrics
//! are the core's, applied the same way to every output.

use std::sync::Arc;

use falconer_event::Alert;

use crate::error::SendError;

/// One configured destination instance (the `webhook` output named `audit`, say).
#[async_trait::async_trait]
pub trait Output: Send + Sync + 'static {
    /// One delivery attempt for a batch (a batch of one for kinds that do not batch).
    /// `Ok` means the destination accepted every alert of the batch.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError>;

    /// A cheap startup probe without side effects (`falconer check --connect`).
    async fn healthcheck(&self) -> Result<(), SendError> {
        Ok(())
    }

    /// Payloads this output shortened to fit the destination's limits since the last call
    /// (reset by the call). The core adds them to `falconer_output_truncations_total`.
    fn take_truncations(&self) -> u64 {
        0
    }

    /// The core gave up on `alerts` for this output: its queue or spool was full, or
    /// delivery failed for good (`reason` is the `falconer_output_dropped_total` label:
    /// `queue_full`, `spool_full`, `retries_exhausted`, …). They are already counted and
    /// dead-lettered; an output that wants to show the loss (the `webui` store) records it
    /// here. Called on the ingest path: it must not block or do I/O.
    fn dropped(&self, alerts: &[Arc<Alert>], reason: &'static str) {
        let _ = (alerts, reason);
    }
}

/// A counter an output bumps each time it truncates a payload to a destination's limit;
/// return [`Truncations::take`] from [`Output::take_truncations`].
#[derive(Debug, Default)]
pub struct Truncations(std::sync::atomic::AtomicU64);

impl Truncations {
    /// Records one truncated payload.
    pub fn record(&self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// The count since the last call, resetting it.
    pub fn take(&self) -> u64 {
        self.0.swap(0, std::sync::atomic::Ordering::Relaxed)
    }
}

/// Sends a batch one alert at a time with `send_one` (kinds with one request per alert): a
/// batch of one returns its own result; otherwise every alert is tried and the failures are
/// reported by position ([`SendError::Partial`]), so the core retries or gives up on each.
pub async fn send_each<'a, F, Fut>(batch: &'a [Arc<Alert>], send_one: F) -> Result<(), SendError>
where
    F: Fn(&'a Alert) -> Fut,
    Fut: std::future::Future<Output = Result<(), SendError>>,
{
    if let [alert] = batch {
        return send_one(alert).await;
    }
    let mut failed = Vec::new();
    for (i, alert) in batch.iter().enumerate() {
        if let Err(e) = send_one(alert).await {
            failed.push((i, e));
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(SendError::Partial(failed))
    }
}
