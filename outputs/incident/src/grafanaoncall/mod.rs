//! Grafana OnCall output: each alert is posted to an OnCall webhook integration
//! (`POST {webhookurl}`) with falcosidekick's body: `alert_uid` (the alert's UUID), `state`
//! `alerting`, `title` (`[<priority>] <rule>`) and `message` (the output).

mod config;
mod encode;
mod output;
#[cfg(test)]
mod tests;

pub use config::GrafanaOnCallConfig;
pub use encode::body;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<GrafanaOnCallConfig>();
