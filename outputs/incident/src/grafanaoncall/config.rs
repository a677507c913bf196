//! The `grafanaoncall` block: falcosidekick's keys.

use std::sync::Arc;

use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{check_url, http_config, http_url, post_target, HttpKeys, TargetOptions};

use super::output::GrafanaOnCall;

http_config! {
    /// Configuration of one Grafana OnCall instance. `Debug` never shows the URL (it holds the
    /// integration's token) or header values.
    #[serde(deny_unknown_fields)]
    pub struct GrafanaOnCallConfig {
        /// URL of the webhook integration.
        pub webhookurl: String,
        /// `customheaders`, `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub http: HttpKeys,
    }
}

impl std::fmt::Debug for GrafanaOnCallConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrafanaOnCallConfig")
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

impl GrafanaOnCallConfig {}

#[async_trait::async_trait]
impl OutputConfig for GrafanaOnCallConfig {
    const KIND: &'static str = "grafanaoncall";
    const BLOCK: &'static str = "grafanaoncall";
    const ENABLED_BY: &'static [&'static str] = &["webhookurl"];
    const DESTINATION: &'static str = "grafanaoncall";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_url("webhookurl", &self.webhookurl, problems);
        self.http.validate(problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = http_url(self.webhookurl.trim()).map_err(|e| BuildError::new(&cx.path, e))?;
        let options = TargetOptions {
            content_type: Some("application/json".into()),
            ..TargetOptions::default()
        };
        let target = post_target(&cx, &self.http, url, &options)?;
        Ok(Arc::new(GrafanaOnCall::new(target)))
    }
}
