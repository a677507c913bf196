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
}
