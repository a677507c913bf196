//! AWS CloudWatch Logs output, falcosidekick's `aws.cloudwatchlogs` block: each alert is a
//! log event (message = payload JSON, timestamp = the alert's time in ms) in `loggroup` /
//! `logstream` (default `falcosidekick-logstream`). Beyond falcosidekick: many events per
//! `PutLogEvents` call, a missing stream is created (configured or not), and events that
//! CloudWatch rejects (too old, too new, expired) are given up on one by one.

mod config;
mod encode;
mod output;

pub use config::CloudWatchLogsConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<CloudWatchLogsConfig>();
