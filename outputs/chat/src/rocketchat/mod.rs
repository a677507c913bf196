//! Rocket.Chat output: each alert is posted to an incoming webhook
//! (<https://docs.rocket.chat/use-rocket.chat/workspace-administration/integrations>) with the Slack-style message falcosidekick sends, byte for byte.
//!
//! Texts are cut to Rocket.Chat's limits with a visible marker (counted in
//! `falconer_output_truncations_total`); a 429 is retried after its `Retry-After`.

mod config;
#[cfg(test)]
mod tests;

pub use config::{Rocketchat, RocketchatConfig, LIMITS};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<RocketchatConfig>();
