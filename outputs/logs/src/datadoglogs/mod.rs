//! Datadog Logs output: alerts go to the logs intake API (`POST {host}/api/v2/logs`, header
//! `DD-API-KEY`) as falcosidekick's log entry: `ddsource` `falco`, `hostname`, `service`,
//! `message` (the payload JSON as a string, tags sorted) and `ddtags` (the sorted tags,
//! comma-separated).
//!
//! falcosidekick posts one entry (a JSON object) per alert; Falconer batches, sending a JSON
//! array of entries (the intake takes up to 1,000 per request), and a batch of one is still
//! falcosidekick's single object, byte for byte.

mod config;
mod encode;
mod output;
#[cfg(test)]
mod tests;

pub use config::DatadogLogsConfig;
pub use encode::body;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<DatadogLogsConfig>();
