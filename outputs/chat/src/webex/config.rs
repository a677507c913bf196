//! The `webex` block: falcosidekick's keys.

use std::sync::Arc;

use crate::common::{check_webhook, webhook_target, ChatOutput};
use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{http_config, TlsKeys};

use super::encode::WebexEncoder;

http_config! {
    /// Configuration of one Webex instance. `Debug` never shows the webhook URL.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct WebexConfig {
        /// The incoming-webhook URL (a credential).
        #[serde(default)]
        pub webhookurl: Secret,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

#[async_trait::async_trait]
impl OutputConfig for WebexConfig {
    const KIND: &'static str = "webex";
    const BLOCK: &'static str = "webex";
    const ENABLED_BY: &'static [&'static str] = &["webhookurl"];
    const DESTINATION: &'static str = "webex";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_webhook("webhookurl", &self.webhookurl, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let target = webhook_target(&cx, self.webhookurl.expose(), self.tls)?;
        Ok(Arc::new(ChatOutput::new(target, WebexEncoder)))
    }
}
