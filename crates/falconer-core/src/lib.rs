//! The delivery core: the [`Output`] contract, the [`Registry`] of kinds, and the
//! [`Dispatcher`] that isolates every output instance behind its own bounded queue and worker.
//!
//! An output implements protocol only (encode, one attempt, classify the failure); queueing,
//! concurrency limits, timeouts and metrics are applied here, the same way to every output.

mod dispatcher;
mod error;
mod kind;
mod output;
mod plan;
mod throttle;
mod worker;

pub use dispatcher::{BuiltOutput, DispatchOutcome, Dispatcher, ShutdownReport};
pub use error::{BoxError, BuildError, Retry, SendError, MAX_RETRY_AFTER};
pub use kind::{
    BuildContext, DeliveryDefaults, OutputConfig, OutputKind, PreparedOutput, Registry,
};
pub use output::Output;
pub use plan::{plan, PlannedOutput};
pub use throttle::LogThrottle;

/// Re-exported so output crates need not depend on the config crate for it.
pub use falconer_config::GlobalSettings;
/// Re-exported for output crates' `send` signatures.
pub use falconer_event::Alert;

#[cfg(test)]
mod tests;
