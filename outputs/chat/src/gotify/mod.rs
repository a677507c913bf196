//! Gotify output: each alert is posted to `{hostport}/message`
//! (<https://gotify.net/api-docs#/message/createMessage>) with the message falcosidekick
//! sends, byte for byte: title `[Falco] [<Priority>] <rule>`, Gotify priority 1 (Debug) to
//! 8 (Emergency), the message in falcosidekick's markdown or plain-text layout (or the
//! payload JSON with `format: json`) and the matching `client::display` content type; the
//! application token goes in `X-Gotify-Key`.
//!
//! Differences from falcosidekick: one trailing `/` of `hostport` is dropped (falcosidekick
//! would post to `//message`); a `format` other than `markdown`, `plaintext`, `text` or
//! `json` is a config error (falcosidekick silently used markdown); `mutualtls` is
//! Falconer's addition.

mod config;
mod encode;
#[cfg(test)]
mod tests;

pub use config::GotifyConfig;
pub use encode::{layout, GotifyEncoder, GotifyFormat};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<GotifyConfig>();
