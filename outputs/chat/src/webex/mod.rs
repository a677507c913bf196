//! Webex output: each alert is posted to an incoming webhook
//! (<https://apphub.webex.com/applications/incoming-webhooks-cisco-systems-38054-23307>) as
//! falcosidekick's `{"markdown": …}` message, byte for byte: the rule as title, the output,
//! then hostname, source, priority, tags and every output field.
//!
//! The markdown is kept within Webex's 7,439-byte message limit by shortening the longest
//! texts, with a visible marker (counted in `falconer_output_truncations_total`).

mod config;
mod encode;
#[cfg(test)]
mod tests;

pub use config::WebexConfig;
pub use encode::{markdown, WebexEncoder, MAX_MARKDOWN_BYTES};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<WebexConfig>();
