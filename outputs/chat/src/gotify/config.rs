//! The `gotify` block: falcosidekick's keys, plus `mutualtls`.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Choice, Output, OutputConfig};
use falconer_http::{
    check_header_value, check_url, http_config, http_url, post_target, TargetOptions, TlsKeys,
    UrlError,
};

use super::encode::{GotifyEncoder, GotifyFormat};
use crate::common::ChatOutput;

fn default_format() -> Choice<GotifyFormat> {
    Choice::new("markdown")
}

http_config! {
    /// Configuration of one Gotify instance. `Debug` never shows the token.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct GotifyConfig {
        /// Base URL of the Gotify server (`https://gotify.example.com`).
        pub hostport: String,
        /// The application token (`X-Gotify-Key`).
        #[serde(default)]
        pub token: Secret,
        /// `markdown` (default), `plaintext` (or `text`) or `json`.
        #[serde(default = "default_format")]
        pub format: Choice<GotifyFormat>,
        /// `checkcert`, `mutualtls` (Falconer's addition).
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

impl GotifyConfig {
    /// `{hostport}/message` (one trailing `/` of `hostport` dropped).
    pub fn url(&self) -> Result<reqwest::Url, UrlError> {
        let base = self.hostport.strip_suffix('/').unwrap_or(&self.hostport);
        http_url(&format!("{base}/message"))
    }

    /// `X-Gotify-Key` when a token is set.
    pub fn options(&self) -> TargetOptions {
        let mut options = TargetOptions::default();
        if !self.token.is_empty() {
            options
                .headers
                .push(("X-Gotify-Key".into(), self.token.expose().to_owned()));
        }
        options
    }

    /// The encoder this config describes.
    pub fn encoder(&self) -> GotifyEncoder {
        GotifyEncoder {
            format: self.format.get(),
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for GotifyConfig {
    const KIND: &'static str = "gotify";
    const BLOCK: &'static str = "gotify";
    const ENABLED_BY: &'static [&'static str] = &["hostport"];
    const DESTINATION: &'static str = "gotify";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_url("hostport", &self.hostport, problems);
        check_header_value("token", self.token.expose(), problems);
        self.format.check("format", problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let encoder = self.encoder();
        let url = self.url().map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &self.tls.http(), url, &self.options())?;
        Ok(Arc::new(ChatOutput::new(target, encoder)))
    }
}
