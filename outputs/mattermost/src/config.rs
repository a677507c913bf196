//! The `mattermost` block: falcosidekick's keys.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_event::TemplateError;
use falconer_output_chat_common::{
    check_choice, check_webhook, default_all, default_footer, default_icon, default_true,
    default_username, webhook_target, AttachmentEncoder, ChatOutput, Layout, Limits, MessageFormat,
    OutputFormat,
};
use serde::Deserialize;

/// Mattermost's post limit is 16,383 characters (`MaxPostSize`); attachment texts and field values are kept to the same length.
pub const LIMITS: Limits = Limits {
    text: 16_383,
    attachment_text: 16_383,
    field_value: 16_383,
};

/// Configuration of one Mattermost instance. `Debug` never shows the webhook URL.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MattermostConfig {
    /// The incoming-webhook URL (a credential).
    #[serde(default)]
    pub webhookurl: Secret,
    /// Attachment footer (with `outputformat` all or fields).
    #[serde(default = "default_footer")]
    pub footer: String,
    /// Bot icon URL (`icon_url`; falcosidekick's plain icon when empty).
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
    /// Verify the server's TLS certificate.
    #[serde(default = "default_true")]
    pub checkcert: bool,
    /// Present the client certificate from `mutualtlsfilespath` / `mutualtlsclient`.
    #[serde(default)]
    pub mutualtls: bool,
}

impl MattermostConfig {
    /// The encoder this config describes (parses `messageformat`).
    pub fn encoder(&self) -> Result<AttachmentEncoder, TemplateError> {
        Ok(AttachmentEncoder {
            layout: Layout::Mattermost,
            format: OutputFormat::parse(&self.outputformat).unwrap_or(OutputFormat::All),
            username: self.username.clone(),
            icon: self.icon.clone(),
            channel: String::new(),
            footer: self.footer.clone(),
            template: MessageFormat::parse(&self.messageformat)?,
            limits: LIMITS,
        })
    }
}

#[async_trait::async_trait]
impl OutputConfig for MattermostConfig {
    const KIND: &'static str = "mattermost";
    const BLOCK: &'static str = "mattermost";
    const ENABLED_BY: &'static [&'static str] = &["webhookurl"];
    const DESTINATION: &'static str = "mattermost";

    fn validate(&self, problems: &mut Vec<(String, String)>) {
        check_webhook("webhookurl", &self.webhookurl, problems);
        check_choice(
            "outputformat",
            &self.outputformat,
            &OutputFormat::CHOICES,
            problems,
        );
        MessageFormat::check("messageformat", &self.messageformat, problems);
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
