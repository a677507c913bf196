//! AWS Lambda output, falcosidekick's `aws.lambda` block: `Invoke(FunctionName,
//! InvocationType, LogType, Payload = payload JSON)` per alert. Unlike falcosidekick, a
//! function error (`X-Amz-Function-Error` in the answer) is a failed delivery, retried and
//! then dead-lettered, not a success.

mod config;
mod output;

pub use config::{Invocation, LambdaConfig, Log};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<LambdaConfig>();
