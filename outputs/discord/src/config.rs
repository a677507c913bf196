//! The `discord` block: falcosidekick's keys.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_output_chat_common::{
    check_webhook, default_icon, default_true, retry_after_from_body, webhook_target, ChatOutput,
    DEFAULT_ICON,
};
use serde::Deserialize;

use crate::encode::DiscordEncoder;

/// Configuration of one Discord instance. `Debug` never shows the webhook URL.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscordConfig {
    /// The webhook URL (its token is a credential).
    #[serde(default)]
    pub webhookurl: Secret,
    /// Avatar URL of the messages (`avatar_url`); falcosidekick's icon when empty.
    #[serde(default = "default_icon")]
    pub icon: String,
    /// Verify Discord's TLS certificate.
    #[serde(default = "default_true")]
    pub checkcert: bool,
    /// Present the client certificate from `mutualtlsfilespath` / `mutualtlsclient`.
    #[serde(default)]
    pub mutualtls: bool,
}

impl DiscordConfig {
    /// The encoder this config describes.
    pub fn encoder(&self) -> DiscordEncoder {
        DiscordEncoder {
            avatar_url: if self.icon.is_empty() {
                DEFAULT_ICON.into()
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

    fn validate(&self, problems: &mut Vec<(String, String)>) {
        check_webhook("webhookurl", &self.webhookurl, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let target = webhook_target(
            &cx,
            self.webhookurl.expose(),
            self.checkcert,
            self.mutualtls,
        )?;
        Ok(Arc::new(
            ChatOutput::new(target, self.encoder()).with_classify(retry_after_from_body),
        ))
    }
}
