//! The `teams` block: falcosidekick's keys plus Falconer's `format`.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_output_chat_common::{
    check_choice, check_webhook, default_all, default_icon, default_true, webhook_target,
    ChatOutput,
};
use serde::Deserialize;

use crate::encode::{check_answer, TeamsEncoder};

/// Values of `outputformat`.
const OUTPUT_FORMATS: [&str; 3] = ["all", "text", "facts"];
/// Values of `format`.
const FORMATS: [&str; 2] = ["messagecard", "adaptivecard"];

/// Configuration of one Teams instance. `Debug` never shows the webhook URL.
#[derive(Debug, Deserialize)]
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
    pub outputformat: String,
    /// Verify the server's TLS certificate.
    #[serde(default = "default_true")]
    pub checkcert: bool,
    /// Present the client certificate from `mutualtlsfilespath` / `mutualtlsclient`.
    #[serde(default)]
    pub mutualtls: bool,
    /// Falconer: `messagecard` (falcosidekick's legacy connector card, default) or
    /// `adaptivecard` (an Adaptive Card for Teams Workflows / Power Automate webhooks).
    #[serde(default)]
    pub format: String,
}

impl TeamsConfig {
    /// The encoder this config describes.
    pub fn encoder(&self) -> TeamsEncoder {
        let mut problems = Vec::new();
        let shown = check_choice(
            "outputformat",
            &self.outputformat,
            &OUTPUT_FORMATS,
            &mut problems,
        )
        .unwrap_or(0);
        let adaptive = check_choice("format", &self.format, &FORMATS, &mut problems) == Some(1);
        TeamsEncoder {
            adaptive,
            text: shown != 2,
            facts: shown != 1,
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

    fn validate(&self, problems: &mut Vec<(String, String)>) {
        check_webhook("webhookurl", &self.webhookurl, problems);
        check_choice(
            "outputformat",
            &self.outputformat,
            &OUTPUT_FORMATS,
            problems,
        );
        check_choice("format", &self.format, &FORMATS, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let target = webhook_target(
            &cx,
            self.webhookurl.expose(),
            self.checkcert,
            self.mutualtls,
        )?;
        Ok(Arc::new(
            ChatOutput::new(target, self.encoder()).with_answer_check(check_answer),
        ))
    }
}
