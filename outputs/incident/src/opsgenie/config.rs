//! The `opsgenie` block: falcosidekick's keys plus Falconer's `host`.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Choice, Output, OutputConfig};
use falconer_http::{
    check_header_value, http_config, post_target, Region, RegionalApi, TargetOptions, TlsKeys,
    UrlError,
};

use super::output::Opsgenie;

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

http_config! {
    /// Configuration of one Opsgenie instance. `Debug` never shows the API key.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct OpsgenieConfig {
        /// API key of an API integration, sent as `Authorization: GenieKey <apikey>`.
        pub apikey: Secret,
        /// `us` (default) or `eu`.
        #[serde(default = "default_region")]
        pub region: Choice<Region>,
        /// Falconer: base URL of the API instead of the region's (a proxy, a test server).
        #[serde(default)]
        pub host: String,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

fn default_region() -> Choice<Region> {
    Choice::new("us")
}

impl OpsgenieConfig {
    /// `{host or region API}/v2/alerts`.
    pub(crate) fn url(&self) -> Result<reqwest::Url, UrlError> {
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

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if self.apikey.is_empty() {
            problems.push("apikey", "must be set");
        }
        check_header_value("apikey", self.apikey.expose(), problems);
        API.check(&self.region, &self.host, ALERTS_PATH, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = self.url().map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &self.tls.http(), url, &self.options())?;
        Ok(Arc::new(Opsgenie::new(target)))
    }
}
