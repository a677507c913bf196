//! Opsgenie output: each alert becomes an Opsgenie alert (`POST {api}/v2/alerts`, header
//! `Authorization: GenieKey <apikey>`; `api.opsgenie.com`, or `api.eu.opsgenie.com` with
//! `region: eu`) with falcosidekick's body: `message` (the output), `entity`
//! `Falcosidekick`, `description` (the rule), `details` (string output fields with `.` → `_`,
//! `source`, `rule`, `priority`, `hostname`, `tags`) and `priority` P1–P5.
//!
//! Opsgenie answers 202 once it queued the request. 422 (a request it will never take) is a
//! final rejection; 429 and 5xx are retried.

mod config;
mod encode;
mod output;
#[cfg(test)]
mod tests;

pub use config::{OpsgenieConfig, EU_API, US_API};
pub use encode::{body, opsgenie_priority};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<OpsgenieConfig>();
