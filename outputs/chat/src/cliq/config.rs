//! The `cliq` block: falcosidekick's keys.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Choice, Output, OutputConfig};
use falconer_event::TemplateError;
use falconer_http::{http_config, http_url, post_target, TargetOptions, TlsKeys};

use super::encode::{CliqEncoder, CliqShown};
use crate::common::{check_webhook, default_icon, ChatOutput, MessageFormat, FALLBACK_ICON};

fn default_shown() -> Choice<CliqShown> {
    Choice::new("all")
}

http_config! {
    /// Configuration of one Cliq instance. `Debug` never shows the webhook URL.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct CliqConfig {
        /// The incoming-webhook URL (its `zapikey` is a credential).
        #[serde(default)]
        pub webhookurl: Secret,
        /// The bot's image; falcosidekick's plain icon (`DefaultIconURL`) when set empty, as
        /// falcosidekick does.
        #[serde(default = "default_icon")]
        pub icon: String,
        /// Put an emoji of the priority before the text.
        #[serde(default)]
        pub useemoji: bool,
        /// `all` (default), `text` or `fields`.
        #[serde(default = "default_shown")]
        pub outputformat: Choice<CliqShown>,
        /// Go template of the text over the alert; empty: the alert's output.
        #[serde(default)]
        pub messageformat: String,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

impl CliqConfig {
    /// The encoder this config describes (parses `messageformat`).
    pub fn encoder(&self) -> Result<CliqEncoder, TemplateError> {
        let icon = if self.icon.is_empty() {
            FALLBACK_ICON.to_owned()
        } else {
            self.icon.clone()
        };
        Ok(CliqEncoder {
            shown: self.outputformat.get(),
            template: MessageFormat::parse(&self.messageformat)?,
            use_emoji: self.useemoji,
            icon,
        })
    }
}

#[async_trait::async_trait]
impl OutputConfig for CliqConfig {
    const KIND: &'static str = "cliq";
    const BLOCK: &'static str = "cliq";
    const ENABLED_BY: &'static [&'static str] = &["webhookurl"];
    const DESTINATION: &'static str = "cliq";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_webhook("webhookurl", &self.webhookurl, problems);
        self.outputformat.check("outputformat", problems);
        MessageFormat::check("messageformat", &self.messageformat, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let encoder = self
            .encoder()
            .map_err(|e| BuildError::new(format!("{}.messageformat", cx.path), e))?;
        let url = http_url(self.webhookurl.expose()).map_err(|e| BuildError::new(&cx.path, e))?;
        let options = TargetOptions {
            content_type: Some("application/json".into()),
            ..TargetOptions::default()
        };
        let target = post_target(&cx, &self.tls.http(), url, &options)?;
        Ok(Arc::new(ChatOutput::new(target, encoder)))
    }
}
