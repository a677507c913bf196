//! The `influxdb` block: falcosidekick's keys, plus `checkcert` and `mutualtls`.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Choice, DeliveryDefaults, Output, OutputConfig};
use falconer_http::{http_config, http_url, TargetOptions, TlsKeys};

use super::encode::Precision;
use super::output::InfluxDb;

/// Points per request at most, unless `batch.maxevents` says otherwise (InfluxDB recommends
/// batches of about 5,000 points).
pub const DEFAULT_MAX_EVENTS: usize = 5000;
/// Line-protocol bytes per request at most, unless `batch.maxbytes` says otherwise.
pub const DEFAULT_MAX_BYTES: usize = 4 << 20;
/// How long a partial batch waits, unless `batch.linger` says otherwise.
pub const DEFAULT_LINGER: Duration = Duration::from_secs(1);

http_config! {
    /// Configuration of one InfluxDB instance. `Debug` never shows the password or token.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct InfluxDbConfig {
        /// Base URL (`http://influxdb:8086`).
        pub hostport: String,
        /// InfluxDB 1.x database (the `/write?db=` API, used unless organization and bucket are
        /// both set).
        #[serde(default = "default_database")]
        pub database: String,
        /// InfluxDB 2.x organization (with `bucket`: the `/api/v2/write` API).
        #[serde(default)]
        pub organization: String,
        /// InfluxDB 2.x bucket.
        #[serde(default = "default_database")]
        pub bucket: String,
        /// Timestamp precision: `ns` (default), `us`, `ms` or `s`.
        #[serde(default = "default_precision")]
        pub precision: Choice<Precision>,
        /// InfluxDB 1.x user (sent with `password` as `u`/`p` when there is no token).
        #[serde(default)]
        pub user: String,
        /// InfluxDB 1.x password.
        #[serde(default)]
        pub password: Secret,
        /// Token (`Authorization: Token …`; InfluxDB 2.x, or 1.8+ with auth).
        #[serde(default)]
        pub token: Secret,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

fn default_database() -> String {
    "falco".into()
}

fn default_precision() -> Choice<Precision> {
    Choice::new("ns")
}

impl InfluxDbConfig {
    /// The write URL, falcosidekick's rule: v2 when organization and bucket are set, else v1.
    pub(crate) fn write_url(&self) -> Result<reqwest::Url, String> {
        let base = self.hostport.trim_end_matches('/');
        let mut url = if !self.organization.is_empty() && !self.bucket.is_empty() {
            let mut u = reqwest::Url::parse(&format!("{base}/api/v2/write"))
                .map_err(|e| format!("invalid URL: {e}"))?;
            u.query_pairs_mut()
                .append_pair("org", &self.organization)
                .append_pair("bucket", &self.bucket);
            u
        } else {
            let mut u = reqwest::Url::parse(&format!("{base}/write"))
                .map_err(|e| format!("invalid URL: {e}"))?;
            u.query_pairs_mut().append_pair("db", &self.database);
            u
        };
        if self.token.is_empty() && !self.user.is_empty() && !self.password.is_empty() {
            url.query_pairs_mut()
                .append_pair("u", &self.user)
                .append_pair("p", self.password.expose());
        }
        if let Some(precision) = self.precision.value() {
            url.query_pairs_mut()
                .append_pair("precision", precision.as_param());
        }
        Ok(url)
    }

    fn options(&self) -> TargetOptions {
        let mut headers = vec![("Accept".to_owned(), "application/json".to_owned())];
        if !self.token.is_empty() {
            headers.push((
                "Authorization".to_owned(),
                format!("Token {}", self.token.expose()),
            ));
        }
        TargetOptions {
            content_type: Some("text/plain; charset=utf-8".into()),
            headers,
            gzip: false,
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for InfluxDbConfig {
    const KIND: &'static str = "influxdb";
    const BLOCK: &'static str = "influxdb";
    const ENABLED_BY: &'static [&'static str] = &["hostport"];
    const DESTINATION: &'static str = "influxdb";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LINGER);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if let Err(e) = http_url(&self.hostport) {
            problems.push("hostport", e.to_string());
        }
        self.precision.check("precision", problems);
        let v2 = !self.organization.is_empty() && !self.bucket.is_empty();
        if !v2 && self.database.is_empty() {
            problems.push("database", "must be set unless organization and bucket are");
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = self.write_url().map_err(|e| BuildError::new(&cx.path, e))?;
        let precision = self.precision.value().unwrap_or(Precision::Ns);
        let target = self
            .tls
            .http()
            .target_with(&cx.global, reqwest::Method::POST, url, &self.options())
            .map_err(|e| BuildError::new(&cx.path, e))?;
        Ok(Arc::new(InfluxDb::new(target, precision)))
    }
}
