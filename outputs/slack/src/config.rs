//! The `slack` block: falcosidekick's keys plus Falconer's `format`.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_event::TemplateError;
use falconer_output_chat_common::{
    check_choice, check_webhook, default_all, default_footer, default_icon, default_true,
    default_username, webhook_target, AttachmentEncoder, ChatOutput, Layout, MessageFormat,
    OutputFormat,
};
use serde::Deserialize;

use crate::blocks::BlocksEncoder;
use crate::encode::{SlackEncoder, ATTACHMENT_LIMITS};

/// Values of `format`.
const FORMATS: [&str; 2] = ["attachments", "blocks"];

/// Configuration of one Slack instance. `Debug` never shows the webhook URL.
#[derive(Debug, Deserialize)]
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
    pub outputformat: String,
    /// Go template of the message text over the alert (`{{ .Rule }}`, `{{ .Priority }}`,
    /// `{{ index .OutputFields "proc.name" }}`); empty: no text.
    #[serde(default)]
    pub messageformat: String,
    /// Verify Slack's TLS certificate.
    #[serde(default = "default_true")]
    pub checkcert: bool,
    /// Present the client certificate from `mutualtlsfilespath` / `mutualtlsclient`.
    #[serde(default)]
    pub mutualtls: bool,
    /// Falconer: `attachments` (falcosidekick's layout, default) or `blocks` (Block Kit).
    #[serde(default)]
    pub format: String,
}

impl SlackConfig {
    /// The encoder this config describes (parses `messageformat`).
    pub fn encoder(&self) -> Result<SlackEncoder, TemplateError> {
        let format = OutputFormat::parse(&self.outputformat).unwrap_or(OutputFormat::All);
        let template = MessageFormat::parse(&self.messageformat)?;
        let blocks = self.format.trim().eq_ignore_ascii_case("blocks");
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

    fn validate(&self, problems: &mut Vec<(String, String)>) {
        check_webhook("webhookurl", &self.webhookurl, problems);
        check_choice(
            "outputformat",
            &self.outputformat,
            &OutputFormat::CHOICES,
            problems,
        );
        MessageFormat::check("messageformat", &self.messageformat, problems);
        check_choice("format", &self.format, &FORMATS, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let encoder = self
            .encoder()
            .map_err(|e| BuildError::new(format!("{}.messageformat", cx.path), e))?;
        let target = webhook_target(
            &cx,
            self.webhookurl.expose(),
            self.checkcert,
            self.mutualtls,
        )?;
        Ok(Arc::new(ChatOutput::new(target, encoder)))
    }
}
