//! The `datadog` block: falcosidekick's keys.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{HttpClientSettings, TargetOptions};
use falconer_output_httpstore::{check_url, default_true, http_url, post_target};
use serde::Deserialize;

use crate::output::Datadog;

/// The path of the Events API.
pub const EVENTS_PATH: &str = "/api/v1/events";

/// Configuration of one Datadog (events) instance. `Debug` never shows the API key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatadogConfig {
    /// API key, sent as the `api_key` query parameter (as falcosidekick does).
    pub apikey: Secret,
    /// API base URL (EU: `https://api.datadoghq.eu`).
    #[serde(default = "default_host")]
    pub host: String,
    /// Verify the server's TLS certificate.
    #[serde(default = "default_true")]
    pub checkcert: bool,
    /// Present the client certificate from `mutualtlsfilespath` / `mutualtlsclient`.
    #[serde(default)]
    pub mutualtls: bool,
}

fn default_host() -> String {
    "https://api.datadoghq.com".into()
}

impl DatadogConfig {
    fn http(&self) -> HttpClientSettings {
        HttpClientSettings {
            checkcert: self.checkcert,
            mutualtls: self.mutualtls,
            customheaders: Default::default(),
        }
    }

    /// `{host}/api/v1/events?api_key=<apikey>` (trailing slashes of `host` dropped).
    pub(crate) fn url(&self) -> Result<reqwest::Url, String> {
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

    fn validate(&self, problems: &mut Vec<(String, String)>) {
        if self.apikey.is_empty() {
            problems.push(("apikey".into(), "must be set".into()));
        }
        check_url("host", &self.host, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = self.url().map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &self.http(), url, &TargetOptions::default())?;
        Ok(Arc::new(Datadog::new(target)))
    }
}
