//! The `pagerduty` block: falcosidekick's keys plus Falconer's `dedupkey` and `host`.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Choice, Output, OutputConfig};
use falconer_event::{GoTemplate, TemplateError};
use falconer_http::{
    http_config, post_target, Region, RegionalApi, TargetOptions, TlsKeys, UrlError,
};

use super::encode::PagerDutyEncoder;
use super::output::PagerDuty;

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

http_config! {
    /// Configuration of one PagerDuty instance. `Debug` never shows the routing key.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct PagerDutyConfig {
        /// Integration (routing) key of an Events API v2 integration.
        pub routingkey: Secret,
        /// `us` (default) or `eu`.
        #[serde(default = "default_region")]
        pub region: Choice<Region>,
        /// Falconer: Go template of the `dedup_key` (over the alert: `{{ .Rule }}-{{ .Hostname }}`,
        /// `{{ index .OutputFields "container.id" }}`). Empty (default): none, PagerDuty makes one
        /// per event.
        #[serde(default)]
        pub dedupkey: String,
        /// Falconer: base URL of the Events API instead of the region's (a proxy, a test server).
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

impl PagerDutyConfig {
    /// `{host or region API}/v2/enqueue`.
    pub(crate) fn url(&self) -> Result<reqwest::Url, UrlError> {
        API.url(&self.region, &self.host, ENQUEUE_PATH)
    }

    fn dedup_template(&self) -> Result<Option<GoTemplate>, TemplateError> {
        if self.dedupkey.trim().is_empty() {
            return Ok(None);
        }
        GoTemplate::parse(&self.dedupkey).map(Some)
    }

    /// The encoder of this instance (parses `dedupkey`).
    pub fn encoder(&self) -> Result<PagerDutyEncoder, TemplateError> {
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

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if self.routingkey.is_empty() {
            problems.push("routingkey", "must be set");
        }
        API.check(&self.region, &self.host, ENQUEUE_PATH, problems);
        if let Err(e) = self.dedup_template() {
            problems.push("dedupkey", e.to_string());
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = self.url().map_err(|e| BuildError::new(&cx.path, e))?;
        let encoder = self.encoder().map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &self.tls.http(), url, &Self::options())?;
        Ok(Arc::new(PagerDuty::new(target, encoder)))
    }
}
