//! The `teams` block: falcosidekick's keys plus Falconer's `format`.

use std::sync::Arc;

use crate::common::{check_webhook, default_all, default_icon, webhook_target, ChatOutput};
use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Choice, Output, OutputConfig};
use falconer_http::{http_config, TlsKeys};

use super::encode::{check_answer, TeamsEncoder};

falconer_core::one_of! {
    /// Values of `outputformat`.
    pub enum TeamsShown {
        /// The text and the facts.
        All = "all",
        /// The text only.
        Text = "text",
        /// The facts only.
        Facts = "facts",
    }
}

falconer_core::one_of! {
    /// Values of `format`.
    pub enum TeamsFormat {
        /// falcosidekick's legacy connector card.
        MessageCard = "messagecard",
        /// An Adaptive Card.
        AdaptiveCard = "adaptivecard",
    }
}

http_config! {
    /// Configuration of one Teams instance. `Debug` never shows the webhook URL.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct TeamsConfig {
        /// The webhook URL (connector or Workflows; a credential).
        #[serde(default)]
        pub webhookurl: Secret,
        /// Image of the card's activity (left out when empty).
        #[serde(default = "default_icon")]
        pub activityimage: String,
        /// What the card shows: `all` (output and facts), `text` or `facts`.
        #[serde(default = "default_all")]
        pub outputformat: Choice<TeamsShown>,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
        /// Falconer: `messagecard` (falcosidekick's legacy connector card, default) or
        /// `adaptivecard` (an Adaptive Card for Teams Workflows / Power Automate webhooks).
        #[serde(default)]
        pub format: Choice<TeamsFormat>,
    }
}

impl TeamsConfig {
    /// The encoder this config describes.
    pub fn encoder(&self) -> TeamsEncoder {
        let shown = self.outputformat.get();
        TeamsEncoder {
            adaptive: self.format.value() == Some(TeamsFormat::AdaptiveCard),
            text: shown != TeamsShown::Facts,
            facts: shown != TeamsShown::Text,
            image: self.activityimage.clone(),
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for TeamsConfig {
    const KIND: &'static str = "teams";
    const BLOCK: &'static str = "teams";
    const ENABLED_BY: &'static [&'static str] = &["webhookurl"];
    const DESTINATION: &'static str = "teams";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_webhook("webhookurl", &self.webhookurl, problems);
        self.outputformat.check("outputformat", problems);
        self.format.check("format", problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let target = webhook_target(&cx, self.webhookurl.expose(), self.tls)?;
        Ok(Arc::new(
            ChatOutput::new(target, self.encoder()).with_answer_check(check_answer),
        ))
    }
}
