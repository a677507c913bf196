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
