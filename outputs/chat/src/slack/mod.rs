//! Slack output: each alert is posted to an incoming webhook
//! (<https://api.slack.com/messaging/webhooks>).
//!
//! The default layout is falcosidekick's, byte for byte: top-level `text` from
//! `messageformat`, `username`, `icon_url`, `channel`, and one attachment coloured by priority
//! with the output and the fields `rule`, `priority`, `source`, `hostname`, `tags`, every
//! string output field (sorted) and `time`, plus the footer. `format: blocks` (Falconer)
//! sends the same content as Block Kit blocks inside a coloured attachment.
//!
//! Texts are cut to Slack's limits with a visible marker (counted in
//! `falconer_output_truncations_total`); a 429 is retried after Slack's `Retry-After`.

mod blocks;
mod config;
mod encode;
#[cfg(test)]
mod tests;

pub use blocks::BlocksEncoder;
pub use config::{SlackConfig, SlackFormat};
pub use encode::{SlackEncoder, ATTACHMENT_LIMITS};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<SlackConfig>();
