//! Microsoft Teams output, in two formats:
//! - `messagecard` (default): the legacy Office 365 connector MessageCard falcosidekick
//!   sends, byte for byte (theme colour by priority, activity title, time as subtitle, the
//!   output, and facts `rule`, `priority`, `source`, `hostname`, string output fields,
//!   `tags`);
//! - `adaptivecard`: the same content as an Adaptive Card in the message envelope that Teams
//!   Workflows (Power Automate) webhooks expect, since Microsoft retired O365 connectors
//!   (<https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using>).
//!
//! Cards are kept under Teams' ~28 KB message size by shortening the longest texts, with a
//! visible marker (counted in `falconer_output_truncations_total`). Connectors that answer a
//! 200 carrying "HTTP error 429" are retried like a 429.

mod adaptive;
mod config;
mod encode;
#[cfg(test)]
mod tests;

pub use config::{TeamsConfig, TeamsFormat, TeamsShown};
pub use encode::{check_answer, TeamsEncoder, MAX_CARD_BYTES};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<TeamsConfig>();
