//! Datadog output (events): each alert becomes a Datadog event
//! (`POST {host}/api/v1/events?api_key=<apikey>`, host `https://api.datadoghq.com` by
//! default, `https://api.datadoghq.eu` in the EU) with falcosidekick's body: `title` (the
//! rule), `text` (the output), `alert_type` (`error`, `warning` or `info` by priority),
//! `source_type_name` `falco` and `tags` (`field:value` for each string output field, sorted,
//! then `source:<source>`, `source:falco`, `hostname:<h>` and the rule tags).
//!
//! Datadog answers 202. 429 and 5xx are retried; 400 and 403 (bad key) are final.

mod config;
mod encode;
mod output;
#[cfg(test)]
mod tests;

pub use config::DatadogConfig;
pub use encode::body;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<DatadogConfig>();
