//! Alert → Slack message, in either layout.

use crate::common::{AttachmentEncoder, Encode, Encoded, Limits};
use falconer_core::{Alert, SendError};

use super::blocks::BlocksEncoder;

/// Slack's limits for the attachment layout, in characters: Slack advises at most 4,000
/// characters of message text (it cuts beyond 40,000 itself); field values are kept to the
/// 2,000 characters of a Block Kit field.
pub const ATTACHMENT_LIMITS: Limits = Limits {
    text: 4_000,
    attachment_text: 4_000,
    field_value: 2_000,
};

/// The layout of one Slack instance.
#[derive(Debug)]
pub enum SlackEncoder {
    /// falcosidekick's attachment message.
    Attachments(AttachmentEncoder),
    /// Block Kit (`format: blocks`).
    Blocks(BlocksEncoder),
}

impl Encode for SlackEncoder {
    fn encode(&self, alert: &Alert) -> Result<Encoded, SendError> {
        match self {
            SlackEncoder::Attachments(e) => e.body(alert),
            SlackEncoder::Blocks(e) => e.body(alert),
        }
    }
}
