//! The `grafanaoncall` block: falcosidekick's keys.

use std::collections::BTreeMap;
use std::sync::Arc;

use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{HttpClientSettings, TargetOptions};
use falconer_output_httpstore::{check_headers, check_url, default_true, http_url, post_target};
use serde::Deserialize;

use crate::output::GrafanaOnCall;

/// Configuration of one Grafana OnCall instance. `Debug` never shows the URL (it holds the
/// integration's token) or header values.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrafanaOnCallConfig {
    /// URL of the webhook integration.
    pub webhookurl: String,
    /// Headers added to every request, after the defaults (they may override them).
    #[serde(default)]
    pub customheaders: BTreeMap<String, String>,
    /// Verify the server's TLS certificate.
    #[serde(default = "default_true")]
    pub checkcert: bool,
    /// Present the client certificate from `mutualtlsfilespath` / `mutualtlsclient`.
    #[serde(default)]
    pub mutualtls: bool,
}

impl std::fmt::Debug for GrafanaOnCallConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrafanaOnCallConfig")
            .field("http", &self.http())
            .finish_non_exhaustive()
    }
}

impl GrafanaOnCallConfig {
    fn http(&self) -> HttpClientSettings {
        HttpClientSettings {
            checkcert: self.checkcert,
            mutualtls: self.mutualtls,
            customheaders: self.customheaders.clone(),
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for GrafanaOnCallConfig {
    const KIND: &'static str = "grafanaoncall";
    const BLOCK: &'static str = "grafanaoncall";
    const ENABLED_BY: &'static [&'static str] = &["webhookurl"];
    const DESTINATION: &'static str = "grafanaoncall";

    fn validate(&self, problems: &mut Vec<(String, String)>) {
        check_url("webhookurl", &self.webhookurl, problems);
        check_headers(&self.http(), problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = http_url(self.webhookurl.trim()).map_err(|e| BuildError::new(&cx.path, e))?;
        let options = TargetOptions {
            content_type: Some("application/json".into()),
            ..TargetOptions::default()
        };
        let target = post_target(&cx, &self.http(), url, &options)?;
        Ok(Arc::new(GrafanaOnCall::new(target)))
    }
}
