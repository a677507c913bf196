//! The chat outputs, one module and one Cargo feature per kind:
//! - [`slack`]: falcosidekick's incoming-webhook attachment message byte for byte, or an
//!   opt-in Block Kit layout, cut to Slack's limits;
//! - [`mattermost`], [`rocketchat`]: falcosidekick's Slack-style incoming-webhook attachment
//!   message byte for byte, cut to the service's limits;
//! - [`googlechat`]: falcosidekick's webhook message (text and a cards v1 key-value card)
//!   byte for byte, cut to Google Chat's limits;
//! - [`discord`]: falcosidekick's webhook embed byte for byte, kept within Discord's embed
//!   limits;
//! - [`teams`]: falcosidekick's MessageCard byte for byte, or an Adaptive Card for Workflows
//!   webhooks, kept within Teams' card size;
//! - [`webex`]: falcosidekick's markdown message byte for byte, kept within Webex's
//!   7,439-byte message limit;
//! - [`telegram`]: falcosidekick's MarkdownV2 `sendMessage` call byte for byte, correctly
//!   escaped and kept within 4,096 characters;
//! - [`cliq`]: falcosidekick's Zoho Cliq message (text, bot, text and table slides) byte for
//!   byte;
//! - [`gotify`]: falcosidekick's Gotify message (markdown, plain text or JSON) byte for byte.
//!
//! [`common`] holds what they share: the attachment layout, priority colours, Go-style value
//! and time printing, message templates, truncation to service limits, and the
//! one-request-per-alert HTTP output. [`register`] adds the kinds this build enables.

#[cfg(feature = "cliq")]
pub mod cliq;
pub mod common;
#[cfg(feature = "discord")]
pub mod discord;
#[cfg(feature = "googlechat")]
pub mod googlechat;
#[cfg(feature = "gotify")]
pub mod gotify;
#[cfg(feature = "mattermost")]
pub mod mattermost;
#[cfg(feature = "rocketchat")]
pub mod rocketchat;
#[cfg(feature = "slack")]
pub mod slack;
#[cfg(feature = "teams")]
pub mod teams;
#[cfg(feature = "telegram")]
pub mod telegram;
#[cfg(feature = "webex")]
pub mod webex;

/// Adds the chat kinds enabled by this crate's features to `registry`.
pub fn register(registry: &mut falconer_core::Registry) {
    // Without any kind feature there is nothing to add.
    let _ = &registry;
    #[cfg(feature = "slack")]
    registry.insert(slack::KIND);
    #[cfg(feature = "mattermost")]
    registry.insert(mattermost::KIND);
    #[cfg(feature = "rocketchat")]
    registry.insert(rocketchat::KIND);
    #[cfg(feature = "googlechat")]
    registry.insert(googlechat::KIND);
    #[cfg(feature = "discord")]
    registry.insert(discord::KIND);
    #[cfg(feature = "teams")]
    registry.insert(teams::KIND);
    #[cfg(feature = "webex")]
    registry.insert(webex::KIND);
    #[cfg(feature = "telegram")]
    registry.insert(telegram::KIND);
    #[cfg(feature = "cliq")]
    registry.insert(cliq::KIND);
    #[cfg(feature = "gotify")]
    registry.insert(gotify::KIND);
}
