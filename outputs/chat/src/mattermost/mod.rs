//! Mattermost output: each alert is posted to an incoming webhook
//! (<https://docs.mattermost.com/developer/webhooks-incoming.html>) with the Slack-style message falcosidekick sends, byte for byte.
//!
//! Texts are cut to Mattermost's limits with a visible marker (counted in
//! `falconer_output_truncations_total`); a 429 is retried after its `Retry-After`.

mod config;
#[cfg(test)]
mod tests;

pub use config::{Mattermost, MattermostConfig, LIMITS};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<MattermostConfig>();
