//! The `webex` block: falcosidekick's keys.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_output_chat_common::{check_webhook, default_true, webhook_target, ChatOutput};
use serde::Deserialize;

use crate::encode::WebexEncoder;

/// Configuration of one Webex instance. `Debug` never shows the webhook URL.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebexConfig {
    /// The incoming-webhook URL (a credential).
    #[serde(default)]
    pub webhookurl: Secret,
    /// Verify Webex's TLS certificate.
    #[serde(default = "default_true")]
    pub checkcert: bool,
    /// Present the client certificate from `mutualtlsfilespath` / `mutualtlsclient`.
    #[serde(default)]
    pub mutualtls: bool,
}

#[async_trait::async_trait]
impl OutputConfig for WebexConfig {
    const KIND: &'static str = "webex";
    const BLOCK: &'static str = "webex";
    const ENABLED_BY: &'static [&'static str] = &["webhookurl"];
    const DESTINATION: &'static str = "webex";

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
        Ok(Arc::new(ChatOutput::new(target, WebexEncoder)))
    }
}
