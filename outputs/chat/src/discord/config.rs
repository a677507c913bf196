//! The `discord` block: falcosidekick's keys.

use std::sync::Arc;

use crate::common::{
    check_webhook, default_icon, retry_after_from_body, webhook_target, ChatOutput, FALLBACK_ICON,
};
use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{http_config, TlsKeys};

use super::encode::DiscordEncoder;

http_config! {
    /// Configuration of one Discord instance. `Debug` never shows the webhook URL.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct DiscordConfig {
        /// The webhook URL (its token is a credential).
        #[serde(default)]
        pub webhookurl: Secret,
        /// Avatar URL of the messages (`avatar_url`); falcosidekick's plain icon
        /// (`DefaultIconURL`) when set empty, as falcosidekick does.
        #[serde(default = "default_icon")]
        pub icon: String,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

impl DiscordConfig {
    /// The encoder this config describes.
    pub fn encoder(&self) -> DiscordEncoder {
        DiscordEncoder {
            avatar_url: if self.icon.is_empty() {
                FALLBACK_ICON.into()
            } else {
                self.icon.clone()
            },
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for DiscordConfig {
    const KIND: &'static str = "discord";
    const BLOCK: &'static str = "discord";
    const ENABLED_BY: &'static [&'static str] = &["webhookurl"];
    const DESTINATION: &'static str = "discord";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_webhook("webhookurl", &self.webhookurl, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let target = webhook_target(&cx, self.webhookurl.expose(), self.tls)?;
        Ok(Arc::new(
            ChatOutput::new(target, self.encoder()).with_classify(retry_after_from_body),
        ))
    }
}
