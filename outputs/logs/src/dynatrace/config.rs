//! The `dynatrace` block: falcosidekick's keys, plus `mutualtls`.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use falconer_http::{
    check_header_value, check_url, http_config, http_url, post_target, TargetOptions, TlsKeys,
    UrlError,
};

use super::output::Dynatrace;

/// Records per request at most, unless `batch.maxevents` says otherwise.
pub const DEFAULT_MAX_EVENTS: usize = 1000;
/// Payload bytes per request at most, unless `batch.maxbytes` says otherwise (the API takes
/// requests up to 10 MB; a record is about the size of the payload).
pub const DEFAULT_MAX_BYTES: usize = 4 << 20;
/// How long a partial batch waits, unless `batch.linger` says otherwise.
pub const DEFAULT_LINGER: Duration = Duration::from_secs(1);

http_config! {
    /// Configuration of one Dynatrace instance. `Debug` never shows the token.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct DynatraceConfig {
        /// API token with the `logs.ingest` scope, sent as `Authorization: Api-Token …`.
        pub apitoken: Secret,
        /// API base URL (`https://{env-id}.live.dynatrace.com/api`, or an ActiveGate's
        /// `https://{activegate}:9999/e/{env-id}/api`).
        pub apiurl: String,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

impl DynatraceConfig {
    /// `{apiurl}/v2/logs/ingest`, trailing slashes of `apiurl` dropped (as falcosidekick does).
    pub(crate) fn url(&self) -> Result<reqwest::Url, UrlError> {
        http_url(&format!(
            "{}/v2/logs/ingest",
            self.apiurl.trim_end_matches('/')
        ))
    }

    pub(crate) fn options(&self) -> TargetOptions {
        TargetOptions {
            content_type: None,
            headers: vec![(
                "Authorization".into(),
                format!("Api-Token {}", self.apitoken.expose()),
            )],
            gzip: false,
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for DynatraceConfig {
    const KIND: &'static str = "dynatrace";
    const BLOCK: &'static str = "dynatrace";
    const ENABLED_BY: &'static [&'static str] = &["apitoken", "apiurl"];
    const DESTINATION: &'static str = "dynatrace";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LINGER);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if self.apitoken.is_empty() {
            problems.push("apitoken", "must be set");
        }
        check_header_value("apitoken", self.apitoken.expose(), problems);
        check_url("apiurl", &self.apiurl, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = self.url().map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &self.tls.http(), url, &self.options())?;
        Ok(Arc::new(Dynatrace::new(target)))
    }
}
