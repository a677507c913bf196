//! The `mattermost` block: falcosidekick's keys (the shared [`AttachmentConfig`]).

use crate::common::{AttachmentConfig, AttachmentService, Layout, Limits};

/// Mattermost's post limit is 16,383 characters (`MaxPostSize`); attachment texts and field values are kept to the same length.
pub const LIMITS: Limits = Limits {
    text: 16_383,
    attachment_text: 16_383,
    field_value: 16_383,
};

/// Mattermost, as an [`AttachmentService`].
#[derive(Debug)]
pub struct Mattermost;

impl AttachmentService for Mattermost {
    const KIND: &'static str = "mattermost";
    const LAYOUT: Layout = Layout::Mattermost;
    const LIMITS: Limits = LIMITS;
}

/// Configuration of one Mattermost instance. `Debug` never shows the webhook URL.
pub type MattermostConfig = AttachmentConfig<Mattermost>;
