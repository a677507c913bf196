//! Splunk output: alerts go to Splunk's HTTP Event Collector (`POST …/services/collector/event`)
//! with `Authorization: Splunk <token>`, each wrapped as falcosidekick wraps it:
//! `{"event": <payload JSON>, "sourcetype": "falcosidekick"}`.
//!
//! Unlike falcosidekick (one request per alert), alerts are batched by the core: HEC takes
//! several event objects concatenated in one body. Falconer also sends the alert's own time
//! (`time`, epoch seconds), so a batched or retried alert keeps its time in Splunk, and can
//! set `index` and `source`. HEC's answers (`{"text": …, "code": N}`) are classified: busy and
//! server errors are retried, refusals (bad token, unknown index) are final with HEC's words.

mod config;
mod encode;
mod output;
#[cfg(test)]
mod tests;

pub use config::SplunkConfig;
pub use encode::{epoch_seconds, HecEncoder};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<SplunkConfig>();
