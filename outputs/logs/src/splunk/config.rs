//! The `splunk` block: falcosidekick's keys (`host`, `token`, `customheaders`, `checkcert`)
//! plus Falconer's `index`, `sourcetype`, `source`, `sendtime`, `mutualtls` and
//! `enablecompression`.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use falconer_http::{default_true, http_config, http_url, HttpKeys, TargetOptions, UrlError};

use super::encode::HecEncoder;
use super::output::Splunk;

/// Alerts per request at most, unless `batch.maxevents` says otherwise.
pub const DEFAULT_MAX_EVENTS: usize = 100;
/// Payload bytes per request at most, unless `batch.maxbytes` says otherwise (well under HEC's
/// default `max_content_length`).
pub const DEFAULT_MAX_BYTES: usize = 1 << 20;
/// How long a partial batch waits, unless `batch.linger` says otherwise.
pub const DEFAULT_LINGER: Duration = Duration::from_secs(1);

/// falcosidekick's fixed sourcetype, Falconer's default.
pub const DEFAULT_SOURCETYPE: &str = "falcosidekick";

http_config! {
    /// Configuration of one Splunk instance. `Debug` never shows the token or header values.
    #[serde(deny_unknown_fields)]
    pub struct SplunkConfig {
        /// Full HEC URL (`https://splunk:8088/services/collector/event`).
        pub host: String,
        /// HEC token, sent as `Authorization: Splunk <token>` when set.
        #[serde(default)]
        pub token: Secret,
        /// `customheaders`, `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub http: HttpKeys,
        /// Falconer: the `index` of every event (empty, the default: the token's default index).
        #[serde(default)]
        pub index: String,
        /// Falconer: the `sourcetype` of every event (default `falcosidekick`, as falcosidekick;
        /// empty: the token's default).
        #[serde(default = "default_sourcetype")]
        pub sourcetype: String,
        /// Falconer: the `source` of every event (empty, the default: not sent).
        #[serde(default)]
        pub source: String,
        /// Falconer: send the alert's time as the event's `time` (default true), so Splunk indexes
        /// it at the time Falco saw it even when batched or retried. `false` sends falcosidekick's
        /// body byte for byte (Splunk then uses the arrival time).
        #[serde(default = "default_true")]
        pub sendtime: bool,
        /// Falconer: gzip request bodies (`Content-Encoding: gzip`, which HEC accepts). Default
        /// false.
        #[serde(default)]
        pub enablecompression: bool,
    }
}

impl std::fmt::Debug for SplunkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SplunkConfig")
            .field("token", &self.token)
            .field("index", &self.index)
            .field("sourcetype", &self.sourcetype)
            .field("source", &self.source)
            .field("sendtime", &self.sendtime)
            .field("http", &self.client_keys())
            .finish_non_exhaustive()
    }
}

fn default_sourcetype() -> String {
    DEFAULT_SOURCETYPE.into()
}

impl SplunkConfig {
    /// The common HTTP options. With a token, a custom `Authorization` header is dropped: the
    /// token's header wins, as in falcosidekick.
    fn client_keys(&self) -> HttpKeys {
        let mut http = self.http.clone();
        if !self.token.is_empty() {
            http.customheaders
                .retain(|name, _| !name.eq_ignore_ascii_case("authorization"));
        }
        http
    }

    /// The HEC URL.
    pub(crate) fn url(&self) -> Result<reqwest::Url, UrlError> {
        http_url(&self.host)
    }

    /// Request options: the token header and compression.
    pub(crate) fn options(&self) -> TargetOptions {
        let mut options = TargetOptions {
            content_type: None,
            headers: Vec::new(),
            gzip: self.enablecompression,
        };
        if !self.token.is_empty() {
            options.headers.push((
                "Authorization".into(),
                format!("Splunk {}", self.token.expose()),
            ));
        }
        options
    }

    /// The encoder.
    pub(crate) fn encoder(&self) -> HecEncoder {
        HecEncoder {
            sourcetype: self.sourcetype.clone(),
            index: self.index.clone(),
            source: self.source.clone(),
            send_time: self.sendtime,
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for SplunkConfig {
    const KIND: &'static str = "splunk";
    const BLOCK: &'static str = "splunk";
    const ENABLED_BY: &'static [&'static str] = &["host"];
    const DESTINATION: &'static str = "splunk";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LINGER);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if let Err(e) = self.url() {
            problems.push("host", e.to_string());
        }
        let token = format!("Splunk {}", self.token.expose());
        if reqwest::header::HeaderValue::from_str(&token).is_err() {
            problems.push("token", "not a valid header value");
        }
        self.client_keys().validate(problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = self.url().map_err(|e| BuildError::new(&cx.path, e))?;
        let target = self
            .client_keys()
            .target_with(&cx.global, reqwest::Method::POST, url, &self.options())
            .map_err(|e| BuildError::new(&cx.path, e))?;
        Ok(Arc::new(Splunk::new(target, self.encoder())))
    }
}
