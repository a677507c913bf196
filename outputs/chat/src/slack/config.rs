//! The `slack` block: falcosidekick's keys plus Falconer's `format`.

use std::sync::Arc;

use crate::common::{
    check_webhook, default_all, default_footer, default_icon, default_username, webhook_target,
    AttachmentEncoder, ChatOutput, Layout, MessageFormat, OutputFormat,
};
use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Choice, Output, OutputConfig};
use falconer_event::TemplateError;
use falconer_http::{http_config, TlsKeys};

use super::blocks::BlocksEncoder;
use super::encode::{SlackEncoder, ATTACHMENT_LIMITS};

falconer_core::one_of! {
    /// Values of `format`.
    pub enum SlackFormat {
        /// falcosidekick's attachment message.
        Attachments = "attachments",
        /// Block Kit.
        Blocks = "blocks",
    }
}

http_config! {
    /// Configuration of one Slack instance. `Debug` never shows the webhook URL.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct SlackConfig {
        /// The incoming-webhook URL (a credential).
        #[serde(default)]
        pub webhookurl: Secret,
        /// Channel override (`#alerts`); left out when empty (the webhook's channel).
        #[serde(default)]
        pub channel: String,
        /// Attachment footer (with `outputformat` all or fields).
        #[serde(default = "default_footer")]
        pub footer: String,
        /// Bot icon URL (`icon_url`; left out when empty).
        #[serde(default = "default_icon")]
        pub icon: String,
        /// Bot name (left out when empty).
        #[serde(default = "default_username")]
        pub username: String,
        /// What the attachment shows: `all` (output and fields), `text` or `fields`.
        #[serde(default = "default_all")]
        pub outputformat: Choice<OutputFormat>,
        /// Go template of the message text over the alert (`{{ .Rule }}`, `{{ .Priority }}`,
        /// `{{ index .OutputFields "proc.name" }}`); empty: no text.
        #[serde(default)]
        pub messageformat: String,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
        /// Falconer: `attachments` (falcosidekick's layout, default) or `blocks` (Block Kit).
        #[serde(default)]
        pub format: Choice<SlackFormat>,
    }
}

impl SlackConfig {
    /// The encoder this config describes (parses `messageformat`).
    pub fn encoder(&self) -> Result<SlackEncoder, TemplateError> {
        let format = self.outputformat.get();
        let template = MessageFormat::parse(&self.messageformat)?;
        let blocks = self.format.get() == SlackFormat::Blocks;
        Ok(if blocks {
            SlackEncoder::Blocks(BlocksEncoder {
                format,
                username: self.username.clone(),
                icon: self.icon.clone(),
                channel: self.channel.clone(),
                footer: self.footer.clone(),
                template,
            })
        } else {
            SlackEncoder::Attachments(AttachmentEncoder {
                layout: Layout::Slack,
                format,
                username: self.username.clone(),
                icon: self.icon.clone(),
                channel: self.channel.clone(),
                footer: self.footer.clone(),
                template,
                limits: ATTACHMENT_LIMITS,
            })
        })
    }
}

#[async_trait::async_trait]
impl OutputConfig for SlackConfig {
    const KIND: &'static str = "slack";
    const BLOCK: &'static str = "slack";
    const ENABLED_BY: &'static [&'static str] = &["webhookurl"];
    const DESTINATION: &'static str = "slack";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_webhook("webhookurl", &self.webhookurl, problems);
        self.outputformat.check("outputformat", problems);
        MessageFormat::check("messageformat", &self.messageformat, problems);
        self.format.check("format", problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let encoder = self
            .encoder()
            .map_err(|e| BuildError::new(format!("{}.messageformat", cx.path), e))?;
        let target = webhook_target(&cx, self.webhookurl.expose(), self.tls)?;
        Ok(Arc::new(ChatOutput::new(target, encoder)))
    }
}
