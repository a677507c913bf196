//! The `googlechat` block: falcosidekick's keys.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_event::TemplateError;
use falconer_output_chat_common::{
    check_choice, check_webhook, default_all, default_true, webhook_target, ChatOutput,
    MessageFormat,
};
use serde::Deserialize;

use crate::encode::GooglechatEncoder;

/// Values of `outputformat`.
const FORMATS: [&str; 2] = ["all", "text"];

/// Configuration of one Google Chat instance. `Debug` never shows the webhook URL.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GooglechatConfig {
    /// The incoming-webhook URL (its `key` and `token` are credentials).
    #[serde(default)]
    pub webhookurl: Secret,
    /// `all` (text and card, default) or `text` (the text only).
    #[serde(default = "default_all")]
    pub outputformat: String,
    /// Go template of the message text over the alert; empty: no text (with
    /// `outputformat: text`, the alert's output instead).
    #[serde(default)]
    pub messageformat: String,
    /// Verify Google's TLS certificate.
    #[serde(default = "default_true")]
    pub checkcert: bool,
    /// Present the client certificate from `mutualtlsfilespath` / `mutualtlsclient`.
    #[serde(default)]
    pub mutualtls: bool,
}

impl GooglechatConfig {
    /// The encoder this config describes (parses `messageformat`).
    pub fn encoder(&self) -> Result<GooglechatEncoder, TemplateError> {
        Ok(GooglechatEncoder {
            text_only: self.outputformat.trim().eq_ignore_ascii_case("text"),
            template: MessageFormat::parse(&self.messageformat)?,
        })
    }
}

#[async_trait::async_trait]
impl OutputConfig for GooglechatConfig {
    const KIND: &'static str = "googlechat";
    const BLOCK: &'static str = "googlechat";
    const ENABLED_BY: &'static [&'static str] = &["webhookurl"];
    const DESTINATION: &'static str = "googlechat";

    fn validate(&self, problems: &mut Vec<(String, String)>) {
        check_webhook("webhookurl", &self.webhookurl, problems);
        check_choice("outputformat", &self.outputformat, &FORMATS, problems);
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
