//! Grafana output (annotations): each alert becomes an annotation
//! (`POST {hostport}/api/annotations`, `Authorization: Bearer <apikey>`) with falcosidekick's
//! body: `dashboardId` and `panelId` when set, `time` = `timeEnd` = the event time in
//! milliseconds, `tags` (`falco`, the priority, the rule, the source, the hostname; with
//! `allfieldsastags` also every output field value and the rule tags) and `text` (the output).

mod config;
mod encode;
mod output;
#[cfg(test)]
mod tests;

pub use config::GrafanaConfig;
pub use encode::body;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<GrafanaConfig>();
