//! Telegram output: each alert is sent with the Bot API's `sendMessage`
//! (<https://core.telegram.org/bots/api#sendmessage>) as falcosidekick sends it: a
//! MarkdownV2 text with a bold `[Falco] [Priority] rule` title, bullets for time, source,
//! hostname, tags and every output field, then the output.
//!
//! Unlike falcosidekick, backslashes are escaped too (MarkdownV2 requires it), and the text
//! is kept within Telegram's 4,096 characters by shortening the longest values before
//! escaping, with a visible marker (counted in `falconer_output_truncations_total`). A 429 is
//! retried after the `retry_after` of Telegram's answer.

mod config;
mod encode;
#[cfg(test)]
mod tests;

pub use config::TelegramConfig;
pub use encode::{markdown_v2_escape, TelegramEncoder, MAX_TEXT_UTF16};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<TelegramConfig>();
