//! Discord output: each alert is posted to a webhook
//! (<https://discord.com/developers/docs/resources/webhook#execute-webhook>) as the embed
//! falcosidekick sends, byte for byte: the output as description, a colour by priority, and
//! inline fields `rule`, `priority`, `source`, `hostname`, every string output field
//! (sorted, in a code span), `tags` and `time`.
//!
//! Discord's embed limits are kept (description 4,096, field name 256 and value 1,024
//! characters, 25 fields, 6,000 characters in all), with a visible marker (counted in
//! `falconer_output_truncations_total`). A 429 is retried after Discord's `Retry-After`
//! (or the `retry_after` of its JSON answer).

mod config;
mod encode;
#[cfg(test)]
mod tests;

pub use config::DiscordConfig;
pub use encode::{
    DiscordEncoder, MAX_DESCRIPTION, MAX_EMBED_TOTAL, MAX_FIELDS, MAX_FIELD_NAME, MAX_FIELD_VALUE,
};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<DiscordConfig>();
