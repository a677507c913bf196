//! The `googlechat` block: falcosidekick's keys.

use std::sync::Arc;

use crate::common::{check_webhook, default_all, webhook_target, ChatOutput, MessageFormat};
use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Choice, Output, OutputConfig};
use falconer_event::TemplateError;
use falconer_http::{http_config, TlsKeys};

use super::encode::GooglechatEncoder;

falconer_core::one_of! {
    /// Values of `outputformat`.
    pub enum GooglechatShown {
        /// The text and the card.
        All = "all",
        /// The text only.
        Text = "text",
    }
}

http_config! {
    /// Configuration of one Google Chat instance. `Debug` never shows the webhook URL.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct GooglechatConfig {
        /// The incoming-webhook URL (its `key` and `token` are credentials).
        #[serde(default)]
        pub webhookurl: Secret,
        /// `all` (text and card, default) or `text` (the text only).
        #[serde(default = "default_all")]
        pub outputformat: Choice<GooglechatShown>,
        /// Go template of the message text over the alert; empty: no text (with
        /// `outputformat: text`, the alert's output instead).
        #[serde(default)]
        pub messageformat: String,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

impl GooglechatConfig {
    /// The encoder this config describes (parses `messageformat`).
    pub fn encoder(&self) -> Result<GooglechatEncoder, TemplateError> {
        Ok(GooglechatEncoder {
            text_only: self.outputformat.get() == GooglechatShown::Text,
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

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_webhook("webhookurl", &self.webhookurl, problems);
        self.outputformat.check("outputformat", problems);
        MessageFormat::check("messageformat", &self.messageformat, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let encoder = self
            .encoder()
            .map_err(|e| BuildError::new(format!("{}.messageformat", cx.path), e))?;
        let target = webhook_target(&cx, self.webhookurl.expose(), self.tls)?;
        Ok(Arc::new(ChatOutput::new(target, encoder)))
    }
}
