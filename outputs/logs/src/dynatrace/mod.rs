//! Dynatrace output: alerts go to the log ingest API (`POST {apiurl}/v2/logs/ingest`,
//! `Authorization: Api-Token <apitoken>`) as falcosidekick's log records: timestamp, event
//! id/name/provider, severity, host, source, content (output, output fields, tags), MITRE
//! technique and tactic from the tags, and container, Kubernetes and process attributes from
//! the output fields.
//!
//! falcosidekick posts a one-record array per alert; Falconer batches, sending one array of
//! many records, so a batch of one is falcosidekick's request byte for byte.

mod config;
mod encode;
mod output;
#[cfg(test)]
mod tests;

pub use config::DynatraceConfig;
pub use encode::body;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<DynatraceConfig>();
