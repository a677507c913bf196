//! The `rocketchat` block: falcosidekick's keys (the shared [`AttachmentConfig`]).

use crate::common::{AttachmentConfig, AttachmentService, Layout, Limits};

/// Rocket.Chat refuses messages longer than its `Message_MaxAllowedSize` (5,000 characters by default); attachment texts and field values are kept to the same length.
pub const LIMITS: Limits = Limits {
    text: 5_000,
    attachment_text: 5_000,
    field_value: 5_000,
};

/// Rocket.Chat, as an [`AttachmentService`].
#[derive(Debug)]
pub struct Rocketchat;

impl AttachmentService for Rocketchat {
    const KIND: &'static str = "rocketchat";
    const LAYOUT: Layout = Layout::RocketChat;
    const LIMITS: Limits = LIMITS;
}

/// Configuration of one Rocket.Chat instance. `Debug` never shows the webhook URL.
pub type RocketchatConfig = AttachmentConfig<Rocketchat>;
