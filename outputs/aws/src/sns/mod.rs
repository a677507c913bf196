//! AWS SNS output, falcosidekick's `aws.sns` block: one `Publish` per alert to `topicarn`.
//! With `rawjson` the message is the payload JSON; otherwise it is the alert's output text
//! with falcosidekick's message attributes (`priority`, `rule`, `source`, `tags`,
//! `hostname`, and each string or number output field).

mod config;
mod encode;
mod output;

pub use config::SnsConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<SnsConfig>();
