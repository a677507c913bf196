//! Spyderbat output: alerts are sent to Spyderbat's ingestion API
//! (<https://api.spyderbat.com>) as falcosidekick sends them: `POST
//! {apiurl}/api/v1/org/{orguid}/source/falcosidekick_{orguid}/data/sb-agent`, gzipped
//! newline-delimited records of schema `falco_alert::1.0.0` (`Content-Type:
//! application/ndjson`, `Authorization: Bearer {apikey}`). Before the first alert, the source
//! `falcosidekick_{orguid}` is looked up and created when missing (named `source`, described
//! by `sourcedescription`). A record needs the numeric output fields `evt.time` and
//! `proc.pid`: an alert without them cannot be sent (a dead letter).
//!
//! Differences from falcosidekick: records are batched (one line each; 500 alerts / 1 MiB /
//! 1 s by default), a batch of one being falcosidekick's body; the record's `id` is the
//! alert's UUID (falcosidekick: a new random one), so a retried alert is recognisable; the
//! source is set up on the first send and retried with it, where falcosidekick gave the
//! output up when Spyderbat was unreachable at startup; a missing `proc.cmdline` or
//! `container.id` is sent empty (falcosidekick crashed the send); `checkcert` and `mutualtls`
//! are Falconer's additions.

mod config;
mod encode;
mod output;
#[cfg(test)]
mod tests;

pub use config::SpyderbatConfig;
pub use encode::{level, record, RecordError, SCHEMA};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<SpyderbatConfig>();
