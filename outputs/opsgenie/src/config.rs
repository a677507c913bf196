//! The `opsgenie` block: falcosidekick's keys plus Falconer's `host`.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{HttpClientSettings, TargetOptions};
use falconer_output_httpstore::{check_header_value, default_true, post_target, RegionalApi};
use serde::Deserialize;

use crate::output::Opsgenie;

/// The US API (`region: us`, the default).
pub const US_API: &str = "https://api.opsgenie.com";
/// The EU API (`region: eu`).
pub const EU_API: &str = "https://api.eu.opsgenie.com";
/// Both regions' base URLs.
const API: RegionalApi = RegionalApi {
    us: US_API,
    eu: EU_API,
};
/// The path of the Alert API.
pub const ALERTS_PATH: &str = "/v2/alerts";

/// Configuration of one Opsgenie instance. `Debug` never shows the API key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpsgenieConfig {
    /// API key of an API integration, sent as `Authorization: GenieKey <apikey>`.
    pub apikey: Secret,
    /// `us` (default) or `eu`.
    #[serde(default = "default_region")]
    pub region: String,
    /// Falconer: base URL of the API instead of the region's (a proxy, a test server).
    #[serde(default)]
    pub host: String,
    /// Verify the server's TLS certificate.
    #[serde(default = "default_true")]
    pub checkcert: bool,
    /// Present the client certificate from `mutualtlsfilespath` / `mutualtlsclient`.
    #[serde(default)]
    pub mutualtls: bool,
}

fn default_region() -> String {
    "us".into()
}

impl OpsgenieConfig {
    fn http(&self) -> HttpClientSettings {
        HttpClientSettings {
            checkcert: self.checkcert,
            mutualtls: self.mutualtls,
            customheaders: Default::default(),
        }
    }

    /// `{host or region API}/v2/alerts`.
    pub(crate) fn url(&self) -> Result<reqwest::Url, String> {
        API.url(&self.region, &self.host, ALERTS_PATH)
    }

    pub(crate) fn options(&self) -> TargetOptions {
        TargetOptions {
            content_type: None,
            headers: vec![(
                "Authorization".into(),
                format!("GenieKey {}", self.apikey.expose()),
            )],
            gzip: false,
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for OpsgenieConfig {
    const KIND: &'static str = "opsgenie";
    const BLOCK: &'static str = "opsgenie";
    const ENABLED_BY: &'static [&'static str] = &["apikey"];
    const DESTINATION: &'static str = "opsgenie";

    fn validate(&self, problems: &mut Vec<(String, String)>) {
        if self.apikey.is_empty() {
            problems.push(("apikey".into(), "must be set".into()));
        }
        check_header_value("apikey", self.apikey.expose(), problems);
        API.check(&self.region, &self.host, ALERTS_PATH, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = self.url().map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &self.http(), url, &self.options())?;
        Ok(Arc::new(Opsgenie::new(target)))
    }
}
