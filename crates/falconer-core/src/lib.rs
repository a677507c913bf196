//! The delivery core: the [`Output`] contract, the [`Registry`] of kinds, and the
//! [`Dispatcher`] that isolates every output instance behind its own bounded queue and worker.
//!
//! An output implements protocol only (encode, one attempt, classify the failure); queueing,
//! batching, concurrency limits, timeouts, retries, the circuit breaker, the durable spool,
//! dead letters and metrics are applied here, the same way to every output.

mod breaker;
mod choice;
mod deadletter;
mod dispatcher;
mod error;
mod held;
mod kind;
mod lane;
mod output;
mod plan;
mod reload;
mod retry;
mod source;
mod throttle;
mod worker;

pub use breaker::{Admission, Breaker};
pub use choice::{choice_index, not_one_of, Choice, Choices};
pub use deadletter::{
    read_dead_letters, AfterKept, DeadLetterError, DeadLetterMeta, DeadLetterRecord, DeadLetters,
    DEAD_LETTER_FILE,
};
pub use dispatcher::{
    open_dead_letters, BuiltOutput, DispatchOutcome, Dispatcher, ShutdownReport, StartError,
    SILENCED_FIELD,
};
pub use error::{BoxError, BuildError, Retry, SendError, MAX_RETRY_AFTER};
pub use kind::{
    BuildContext, DeliveryDefaults, OutputConfig, OutputKind, PreparedOutput, Registry, Resources,
};
pub use output::{send_each, Output, Truncations};
pub use plan::{plan, PlannedOutput};
pub use reload::ReloadReport;
pub use retry::{Decision, RetryPolicy};
pub use throttle::LogThrottle;

/// Re-exported so output crates need not depend on the config crate for it.
pub use falconer_config::{GlobalSettings, Problems};
/// Re-exported for output crates' `send` signatures.
pub use falconer_event::Alert;

#[cfg(test)]
mod policy_tests;
#[cfg(test)]
mod tests;
