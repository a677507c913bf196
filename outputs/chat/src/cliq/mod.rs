//! Zoho Cliq output: each alert is posted to an incoming webhook
//! (<https://www.zoho.com/cliq/help/restapi/v2/#post_message_channel>) with the message
//! falcosidekick sends, byte for byte: `text` (the `messageformat` template, or the alert's
//! output without one, with a priority emoji first when `useemoji` is on), the bot
//! `Falco Sidekick` with `icon`, and slides — the output as a text slide (with a template
//! and `outputformat` `all` or `text`) and a `field`/`value` table of `rule`, `priority`,
//! `hostname`, every string output field (sorted) and `time` (`outputformat` `all` or
//! `fields`). `Content-Type: application/json`, as falcosidekick sends it.

mod config;
mod encode;
#[cfg(test)]
mod tests;

pub use config::CliqConfig;
pub use encode::{emoji, CliqEncoder, CliqShown, BOT_NAME};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<CliqConfig>();
