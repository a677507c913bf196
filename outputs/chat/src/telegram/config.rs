//! The `telegram` block: falcosidekick's keys.

use std::sync::Arc;

use crate::common::{check_webhook, retry_after_from_body, webhook_target, ChatOutput};
use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{default_true, TlsKeys};
use serde::Deserialize;

use super::encode::TelegramEncoder;

/// Telegram's Bot API.
pub const DEFAULT_HOST: &str = "https://api.telegram.org";

fn default_host() -> String {
    DEFAULT_HOST.into()
}

/// Configuration of one Telegram instance. `Debug` never shows the token.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramConfig {
    /// Bot API base URL (a self-hosted Bot API server, say); empty means Telegram's.
    #[serde(default = "default_host")]
    pub host: String,
    /// The bot token (a credential; sent in the URL path).
    #[serde(default)]
    pub token: Secret,
    /// The chat to post to (`-1001234567890` or `@channel`).
    #[serde(default)]
    pub chatid: String,
    /// Topic of a forum supergroup (`message_thread_id`); left out when empty.
    #[serde(default)]
    pub messagethreadid: String,
    /// Verify the server's TLS certificate.
    #[serde(default = "default_true")]
    pub checkcert: bool,
}

impl TelegramConfig {
    /// `{host}/bot{token}/sendMessage`, with falcosidekick's host when `host` is empty.
    pub fn url(&self) -> Secret {
        let host = if self.host.trim().is_empty() {
            DEFAULT_HOST
        } else {
            self.host.trim().trim_end_matches('/')
        };
        Secret::new(format!("{host}/bot{}/sendMessage", self.token.expose()))
    }

    /// The encoder this config describes.
    pub fn encoder(&self) -> TelegramEncoder {
        TelegramEncoder {
            chat_id: self.chatid.trim().to_owned(),
            message_thread_id: self.messagethreadid.trim().to_owned(),
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for TelegramConfig {
    const KIND: &'static str = "telegram";
    const BLOCK: &'static str = "telegram";
    const ENABLED_BY: &'static [&'static str] = &["token", "chatid"];
    const DESTINATION: &'static str = "telegram";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if self.token.is_empty() {
            problems.push("token", "must be set");
        } else if self.token.expose().contains(['/', '?', '#', ' ']) {
            problems.push("token", "not a bot token");
        }
        if self.chatid.trim().is_empty() {
            problems.push("chatid", "must be set");
        }
        if !self.host.trim().is_empty() {
            check_webhook("host", &Secret::new(self.host.trim()), problems);
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let target = webhook_target(
            &cx,
            self.url().expose(),
            TlsKeys {
                checkcert: self.checkcert,
                mutualtls: false,
            },
        )?;
        Ok(Arc::new(
            ChatOutput::new(target, self.encoder()).with_classify(retry_after_from_body),
        ))
    }
}
