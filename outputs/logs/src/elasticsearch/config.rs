//! The `elasticsearch` block: falcosidekick's keys; `batching.enabled` defaults to true.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use falconer_config::{GoDuration, Secret};
use falconer_core::{BuildContext, BuildError, Choice, DeliveryDefaults, Output, OutputConfig};
use falconer_http::{http_config, http_url, HttpKeys, TargetOptions, TlsKeys, UrlError};
use serde::Deserialize;

use super::encode::{DocEncoder, Suffix};
use super::output::{Elasticsearch, Settings, StartError};

/// falcosidekick's `batching.batchsize` default: 5 MiB of payload per `_bulk` request.
pub const DEFAULT_BATCH_BYTES: usize = 5 * 1024 * 1024;
/// falcosidekick's `batching.flushinterval` default.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// Documents per `_bulk` request at most, unless `batch.maxevents` says otherwise
/// (falcosidekick has no count limit; the byte limit usually comes first).
pub const DEFAULT_MAX_EVENTS: usize = 10_000;
/// falcosidekick's default shards and replicas (also used for values ≤ 0, as falcosidekick does).
const DEFAULT_SHARDS: i64 = 3;

http_config! {
    /// Configuration of one Elasticsearch/OpenSearch instance. `Debug` never shows the password,
    /// the API key or header values.
    #[serde(deny_unknown_fields)]
    pub struct ElasticsearchConfig {
        /// Base URL (`https://es:9200`).
        pub hostport: String,
        /// Index name (prefix of the dated name).
        #[serde(default = "default_index")]
        pub index: String,
        /// Document type in the one-request-per-alert URL (`/<index>/<type>`).
        #[serde(default = "default_type", rename = "type")]
        pub doc_type: String,
        /// `daily` (default), `monthly`, `annually` or `none`: the date appended to the index,
        /// from the alert's time in UTC.
        #[serde(default = "default_suffix")]
        pub suffix: Choice<Suffix>,
        /// Ingest pipeline (`?pipeline=`).
        #[serde(default)]
        pub pipeline: String,
        /// Basic-auth user (with `password`).
        #[serde(default)]
        pub username: String,
        /// Basic-auth password.
        #[serde(default)]
        pub password: Secret,
        /// API key, sent as `Authorization: APIKey <key>` (basic auth wins when both are set).
        #[serde(default)]
        pub apikey: Secret,
        /// Replace `.` by `_` in output field names.
        #[serde(default)]
        pub flattenfields: bool,
        /// Create the index template at startup when missing (implies `flattenfields`).
        #[serde(default)]
        pub createindextemplate: bool,
        /// Shards of the template (values ≤ 0 mean 3).
        #[serde(default = "default_shards")]
        pub numberofshards: i64,
        /// Replicas of the template (values ≤ 0 mean 3).
        #[serde(default = "default_shards")]
        pub numberofreplicas: i64,
        /// Headers added to every request, after the defaults (they may override them).
        #[serde(default)]
        pub customheaders: BTreeMap<String, String>,
        /// Gzip request bodies (`Content-Encoding: gzip`).
        #[serde(default)]
        pub enablecompression: bool,
        /// `_bulk` batching.
        #[serde(default)]
        pub batching: BatchingSettings,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

/// `batching.*`: falcosidekick's keys, read by the core's batching (`batch.*` overrides them).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BatchingSettings {
    /// Send alerts in `_bulk` requests. Default **true** (falcosidekick: false); `false` sends
    /// one `POST /<index>/<type>` per alert, as falcosidekick does by default.
    pub enabled: bool,
    /// Payload bytes per request at most (values ≤ 0 mean 5 MiB).
    pub batchsize: i64,
    /// How long a partial batch waits (0 means 1 s).
    pub flushinterval: GoDuration,
}

impl Default for BatchingSettings {
    fn default() -> Self {
        BatchingSettings {
            enabled: true,
            batchsize: DEFAULT_BATCH_BYTES as i64,
            flushinterval: GoDuration(DEFAULT_FLUSH_INTERVAL),
        }
    }
}

impl std::fmt::Debug for ElasticsearchConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElasticsearchConfig")
            .field("hostport", &self.hostport)
            .field("index", &self.index)
            .field("suffix", &self.suffix)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("apikey", &self.apikey)
            .field("batching", &self.batching)
            .field("http", &self.http())
            .finish_non_exhaustive()
    }
}

fn default_index() -> String {
    "falco".into()
}

fn default_type() -> String {
    "_doc".into()
}

fn default_suffix() -> Choice<Suffix> {
    Choice::new("daily")
}

fn default_shards() -> i64 {
    DEFAULT_SHARDS
}

fn positive_or_default(n: i64) -> u32 {
    u32::try_from(n)
        .ok()
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_SHARDS as u32)
}

impl ElasticsearchConfig {
    /// The TLS keys with `customheaders` (which stands apart from them in this block).
    pub(crate) fn http(&self) -> HttpKeys {
        self.tls.with_headers(self.customheaders.clone())
    }

    /// `hostport` without a trailing `/`, checked.
    pub(crate) fn base(&self) -> Result<reqwest::Url, UrlError> {
        http_url(self.hostport.trim_end_matches('/'))
    }

    /// Request options: API key or basic auth, gzip.
    pub(crate) fn options(&self) -> TargetOptions {
        let mut options = TargetOptions {
            content_type: None,
            headers: Vec::new(),
            gzip: self.enablecompression,
        };
        if !self.username.is_empty() && !self.password.is_empty() {
            options.basic_auth(&self.username, self.password.expose());
        } else if !self.apikey.is_empty() {
            options.headers.push((
                "Authorization".into(),
                format!("APIKey {}", self.apikey.expose()),
            ));
        }
        options
    }

    pub(crate) fn encoder(&self) -> DocEncoder {
        DocEncoder {
            index: self.index.clone(),
            suffix: self.suffix.value().unwrap_or(Suffix::Daily),
            flatten: self.flattenfields || self.createindextemplate,
        }
    }

    /// What the running instance is built from.
    fn settings(&self) -> Result<Settings, StartError> {
        Ok(Settings {
            base_url: self.base()?,
            http: self.http(),
            options: self.options(),
            batching: self.batching.enabled,
            pipeline: self.pipeline.clone(),
            doc_type: self.doc_type.clone(),
            encoder: self.encoder(),
            template: self.createindextemplate.then(|| {
                let (shards, replicas) = self.shards();
                (self.index.clone(), shards, replicas)
            }),
        })
    }

    pub(crate) fn shards(&self) -> (u32, u32) {
        (
            positive_or_default(self.numberofshards),
            positive_or_default(self.numberofreplicas),
        )
    }
}

#[async_trait::async_trait]
impl OutputConfig for ElasticsearchConfig {
    const KIND: &'static str = "elasticsearch";
    const BLOCK: &'static str = "elasticsearch";
    const ENABLED_BY: &'static [&'static str] = &["hostport"];
    const DESTINATION: &'static str = "elasticsearch";
    const DEFAULTS: DeliveryDefaults = DeliveryDefaults::batching(
        DEFAULT_MAX_EVENTS,
        DEFAULT_BATCH_BYTES,
        DEFAULT_FLUSH_INTERVAL,
    );

    fn delivery_defaults(&self) -> DeliveryDefaults {
        if !self.batching.enabled {
            return DeliveryDefaults::REALTIME;
        }
        let bytes = usize::try_from(self.batching.batchsize)
            .ok()
            .filter(|b| *b > 0)
            .unwrap_or(DEFAULT_BATCH_BYTES);
        let linger = Some(self.batching.flushinterval.0)
            .filter(|d| !d.is_zero())
            .unwrap_or(DEFAULT_FLUSH_INTERVAL);
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, bytes, linger)
    }

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if let Err(e) = self.base() {
            problems.push("hostport", e.to_string());
        }
        let index_ok = !self.index.is_empty()
            && self.index == self.index.to_lowercase()
            && !self.index.starts_with(['-', '_', '+'])
            && !self
                .index
                .contains(['\\', '/', '*', '?', '"', '<', '>', '|', ' ', ',', '#', ':']);
        if !index_ok {
            problems.push(
                "index",
                format!("{:?} is not a valid index name", self.index),
            );
        }
        self.suffix.check("suffix", problems);
        if reqwest::header::HeaderValue::from_str(self.apikey.expose()).is_err() {
            problems.push("apikey", "not a valid header value");
        }
        self.http().validate(problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let output = self
            .settings()
            .and_then(|s| Elasticsearch::build(s, &cx.global))
            .map_err(|e| BuildError::new(&cx.path, e))?;
        if self.createindextemplate {
            output
                .startup_template()
                .await
                .map_err(|e| BuildError::new(&cx.path, e))?;
        }
        Ok(Arc::new(output))
    }
}
