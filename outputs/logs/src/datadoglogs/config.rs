//! The `datadoglogs` block: falcosidekick's keys.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use falconer_http::{
    check_header_value, check_url, http_config, http_url, post_target, TargetOptions, TlsKeys,
    UrlError,
};

use super::output::DatadogLogs;

/// The path of the logs intake API.
pub const LOGS_PATH: &str = "/api/v2/logs";
/// Entries per request at most, unless `batch.maxevents` says otherwise (the intake's limit
/// is 1,000).
pub const DEFAULT_MAX_EVENTS: usize = 1000;
/// Payload bytes per request at most, unless `batch.maxbytes` says otherwise. The intake
/// takes 5 MB uncompressed; each payload grows a little when quoted as the message string.
pub const DEFAULT_MAX_BYTES: usize = 3 << 20;
/// How long a partial batch waits, unless `batch.linger` says otherwise.
pub const DEFAULT_LINGER: Duration = Duration::from_secs(1);

http_config! {
    /// Configuration of one Datadog Logs instance. `Debug` never shows the API key.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct DatadogLogsConfig {
        /// API key, sent as `DD-API-KEY`.
        pub apikey: Secret,
        /// Intake base URL (EU: `https://http-intake.logs.datadoghq.eu`).
        #[serde(default = "default_host")]
        pub host: String,
        /// `service` of every entry (left out when empty).
        #[serde(default)]
        pub service: String,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

fn default_host() -> String {
    "https://http-intake.logs.datadoghq.com/".into()
}

impl DatadogLogsConfig {
    /// `{host}/api/v2/logs`. Trailing slashes of `host` are dropped, so the default host
    /// gives `/api/v2/logs` (falcosidekick concatenates and sends `//api/v2/logs`).
    pub(crate) fn url(&self) -> Result<reqwest::Url, UrlError> {
        http_url(&format!("{}{LOGS_PATH}", self.host.trim_end_matches('/')))
    }

    pub(crate) fn options(&self) -> TargetOptions {
        TargetOptions {
            content_type: None,
            headers: vec![("DD-API-KEY".into(), self.apikey.expose().to_owned())],
            gzip: false,
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for DatadogLogsConfig {
    const KIND: &'static str = "datadoglogs";
    const BLOCK: &'static str = "datadoglogs";
    const ENABLED_BY: &'static [&'static str] = &["apikey"];
    const DESTINATION: &'static str = "datadoglogs";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LINGER);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if self.apikey.is_empty() {
            problems.push("apikey", "must be set");
        }
        check_header_value("apikey", self.apikey.expose(), problems);
        check_url("host", &self.host, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = self.url().map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &self.tls.http(), url, &self.options())?;
        Ok(Arc::new(DatadogLogs::new(target, self.service)))
    }
}
