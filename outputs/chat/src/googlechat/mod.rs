//! Google Chat output: each alert is posted to an incoming webhook
//! (<https://developers.google.com/workspace/chat/quickstart/webhooks>) with the message
//! falcosidekick sends, byte for byte: `text` from `messageformat` and a cards v1 card whose
//! key-value widgets are `rule`, `priority`, `source`, `hostname`, every string output field
//! (sorted), `tags` and `time`. `outputformat: text` sends the text only.
//!
//! The text is cut to Google Chat's 4,096 characters and the message to its 32,000 bytes,
//! with a visible marker (counted in `falconer_output_truncations_total`).

mod config;
mod encode;
#[cfg(test)]
mod tests;

pub use config::{GooglechatConfig, GooglechatShown};
pub use encode::{GooglechatEncoder, MAX_MESSAGE_BYTES, MAX_TEXT_CHARS};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<GooglechatConfig>();
