//! The `grafana` block: falcosidekick's keys.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{
    check_header_value, http_config, http_url, post_target, HttpKeys, TargetOptions, UrlError,
};

use super::output::Grafana;

/// The path of the annotations API.
pub const ANNOTATIONS_PATH: &str = "/api/annotations";

http_config! {
    /// Configuration of one Grafana instance. `Debug` never shows the API key or header values.
    #[serde(deny_unknown_fields)]
    pub struct GrafanaConfig {
        /// Base URL of Grafana (`https://grafana.example.com`).
        pub hostport: String,
        /// Service account token (or API key), sent as `Authorization: Bearer <apikey>`.
        pub apikey: Secret,
        /// Dashboard of the annotations (`0`: an organisation-wide annotation).
        #[serde(default)]
        pub dashboardid: i64,
        /// Panel of the annotations (`0`: none).
        #[serde(default)]
        pub panelid: i64,
        /// Also tag annotations with every output field value and the rule tags.
        #[serde(default)]
        pub allfieldsastags: bool,
        /// `customheaders`, `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub http: HttpKeys,
    }
}

impl std::fmt::Debug for GrafanaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrafanaConfig")
            .field("hostport", &self.hostport)
            .field("apikey", &self.apikey)
            .field("dashboardid", &self.dashboardid)
            .field("panelid", &self.panelid)
            .field("allfieldsastags", &self.allfieldsastags)
            .field("http", &self.http)
            .finish()
    }
}

impl GrafanaConfig {
    /// `{hostport}/api/annotations` (one trailing `/` of `hostport` dropped).
    pub(crate) fn url(&self) -> Result<reqwest::Url, UrlError> {
        let base = self.hostport.trim();
        http_url(&format!(
            "{}{ANNOTATIONS_PATH}",
            base.strip_suffix('/').unwrap_or(base)
        ))
    }

    /// Grafana's content type (no charset, as falcosidekick sends it) and the bearer token.
    pub(crate) fn options(&self) -> TargetOptions {
        TargetOptions {
            content_type: Some("application/json".into()),
            headers: vec![(
                "Authorization".into(),
                format!("Bearer {}", self.apikey.expose()),
            )],
            gzip: false,
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for GrafanaConfig {
    const KIND: &'static str = "grafana";
    const BLOCK: &'static str = "grafana";
    const ENABLED_BY: &'static [&'static str] = &["hostport", "apikey"];
    const DESTINATION: &'static str = "grafana";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if self.hostport.trim().is_empty() {
            problems.push("hostport", "must be set");
        } else if let Err(e) = self.url() {
            problems.push("hostport", e.to_string());
        }
        if self.apikey.is_empty() {
            problems.push("apikey", "must be set");
        }
        check_header_value("apikey", self.apikey.expose(), problems);
        self.http.validate(problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = self.url().map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &self.http, url, &self.options())?;
        Ok(Arc::new(Grafana::new(
            target,
            self.dashboardid,
            self.panelid,
            self.allfieldsastags,
        )))
    }
}
