//! The `pagerduty` block: falcosidekick's keys plus Falconer's `dedupkey` and `host`.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_event::GoTemplate;
use falconer_http::{HttpClientSettings, TargetOptions};
use falconer_output_httpstore::{default_true, post_target, RegionalApi};
use serde::Deserialize;

use crate::encode::PagerDutyEncoder;
use crate::output::PagerDuty;

/// The US Events API (`region: us`, the default).
pub const US_EVENTS_API: &str = "https://events.pagerduty.com";
/// The EU Events API (`region: eu`).
pub const EU_EVENTS_API: &str = "https://events.eu.pagerduty.com";
/// Both regions' base URLs.
const API: RegionalApi = RegionalApi {
    us: US_EVENTS_API,
    eu: EU_EVENTS_API,
};
/// The path of the Events API v2.
pub const ENQUEUE_PATH: &str = "/v2/enqueue";

/// Configuration of one PagerDuty instance. `Debug` never shows the routing key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagerDutyConfig {
    /// Integration (routing) key of an Events API v2 integration.
    pub routingkey: Secret,
    /// `us` (default) or `eu`.
    #[serde(default = "default_region")]
    pub region: String,
    /// Falconer: Go template of the `dedup_key` (over the alert: `{{ .Rule }}-{{ .Hostname }}`,
    /// `{{ index .OutputFields "container.id" }}`). Empty (default): none, PagerDuty makes one
    /// per event.
    #[serde(default)]
    pub dedupkey: String,
    /// Falconer: base URL of the Events API instead of the region's (a proxy, a test server).
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

impl PagerDutyConfig {
    fn http(&self) -> HttpClientSettings {
        HttpClientSettings {
            checkcert: self.checkcert,
            mutualtls: self.mutualtls,
            customheaders: Default::default(),
        }
    }

    /// `{host or region API}/v2/enqueue`.
    pub(crate) fn url(&self) -> Result<reqwest::Url, String> {
        API.url(&self.region, &self.host, ENQUEUE_PATH)
    }

    fn dedup_template(&self) -> Result<Option<GoTemplate>, String> {
        if self.dedupkey.trim().is_empty() {
            return Ok(None);
        }
        GoTemplate::parse(&self.dedupkey)
            .map(Some)
            .map_err(|e| e.to_string())
    }

    /// The encoder of this instance (parses `dedupkey`).
    pub fn encoder(&self) -> Result<PagerDutyEncoder, String> {
        Ok(PagerDutyEncoder::new(
            self.routingkey.clone(),
            self.dedup_template()?,
        ))
    }

    pub(crate) fn options() -> TargetOptions {
        TargetOptions {
            content_type: Some("application/json".into()),
            headers: Vec::new(),
            gzip: false,
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for PagerDutyConfig {
    const KIND: &'static str = "pagerduty";
    const BLOCK: &'static str = "pagerduty";
    const ENABLED_BY: &'static [&'static str] = &["routingkey"];
    const DESTINATION: &'static str = "pagerduty";

    fn validate(&self, problems: &mut Vec<(String, String)>) {
        if self.routingkey.is_empty() {
            problems.push(("routingkey".into(), "must be set".into()));
        }
        API.check(&self.region, &self.host, ENQUEUE_PATH, problems);
        if let Err(e) = self.dedup_template() {
            problems.push(("dedupkey".into(), e));
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = self.url().map_err(|e| BuildError::new(&cx.path, e))?;
        let encoder = self.encoder().map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &self.http(), url, &Self::options())?;
        Ok(Arc::new(PagerDuty::new(target, encoder)))
    }
}
