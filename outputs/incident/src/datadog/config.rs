//! The `datadog` block: falcosidekick's keys.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{
    check_url, http_config, http_url, post_target, TargetOptions, TlsKeys, UrlError,
};

use super::output::Datadog;

/// The path of the Events API.
pub const EVENTS_PATH: &str = "/api/v1/events";

http_config! {
    /// Configuration of one Datadog (events) instance. `Debug` never shows the API key.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct DatadogConfig {
        /// API key, sent as the `api_key` query parameter (as falcosidekick does).
        pub apikey: Secret,
        /// API base URL (EU: `https://api.datadoghq.eu`).
        #[serde(default = "default_host")]
        pub host: String,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

fn default_host() -> String {
    "https://api.datadoghq.com".into()
}

impl DatadogConfig {
    /// `{host}/api/v1/events?api_key=<apikey>` (trailing slashes of `host` dropped).
    pub(crate) fn url(&self) -> Result<reqwest::Url, UrlError> {
        let mut url = http_url(&format!(
            "{}{EVENTS_PATH}",
            self.host.trim().trim_end_matches('/')
        ))?;
        url.query_pairs_mut()
            .append_pair("api_key", self.apikey.expose());
        Ok(url)
    }
}

#[async_trait::async_trait]
impl OutputConfig for DatadogConfig {
    const KIND: &'static str = "datadog";
    const BLOCK: &'static str = "datadog";
    const ENABLED_BY: &'static [&'static str] = &["apikey"];
    const DESTINATION: &'static str = "datadog";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if self.apikey.is_empty() {
            problems.push("apikey", "must be set");
        }
        check_url("host", &self.host, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = self.url().map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &self.tls.http(), url, &TargetOptions::default())?;
        Ok(Arc::new(Datadog::new(target)))
    }
}
