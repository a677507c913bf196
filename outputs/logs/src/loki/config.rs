//! The `loki` block: falcosidekick's keys plus Falconer's `enablecompression`, `labels` and
//! `structuredmetadata`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use falconer_config::Secret;
use falconer_core::{
    BuildContext, BuildError, Choice, Choices, DeliveryDefaults, Output, OutputConfig,
};
use falconer_http::{default_true, http_config, http_url, HttpKeys, TargetOptions, UrlError};

use super::encode::{label_name, LokiEncoder};
use super::output::Loki;

/// Alerts per push at most, unless `batch.maxevents` says otherwise.
pub const DEFAULT_MAX_EVENTS: usize = 1000;
/// Payload bytes per push at most (before compression), unless `batch.maxbytes` says otherwise
/// (Promtail's default batch size).
pub const DEFAULT_MAX_BYTES: usize = 1 << 20;
/// How long a partial batch waits, unless `batch.linger` says otherwise (Promtail's default).
pub const DEFAULT_LINGER: Duration = Duration::from_secs(1);

/// Labels that every stream has; an allow-list must keep one of them, since Loki refuses a
/// stream without labels.
const ALWAYS_PRESENT: [&str; 3] = ["rule", "source", "priority"];

http_config! {
    /// Configuration of one Loki instance. `Debug` never shows the API key or header values.
    #[serde(deny_unknown_fields)]
    pub struct LokiConfig {
        /// Base URL of Loki (`http://loki:3100`).
        pub hostport: String,
        /// Path of the push API.
        #[serde(default = "default_endpoint")]
        pub endpoint: String,
        /// Basic-auth user (sent only together with `apikey`).
        #[serde(default)]
        pub user: String,
        /// Basic-auth password (Grafana Cloud API key), sent only together with `user`.
        #[serde(default)]
        pub apikey: Secret,
        /// Tenant, sent as `X-Scope-OrgID` when set.
        #[serde(default)]
        pub tenant: String,
        /// Line format: `text` (the alert's `output`, default) or `json` (the payload JSON).
        #[serde(default = "default_format")]
        pub format: Choice<LineFormat>,
        /// Output fields that become labels when their value is a string (a comma list or a YAML
        /// list).
        #[serde(default)]
        pub extralabels: Vec<String>,
        /// `customheaders`, `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub http: HttpKeys,
        /// Falconer: gzip push bodies (`Content-Encoding: gzip`; Loki accepts it). Default true.
        #[serde(default = "default_true")]
        pub enablecompression: bool,
        /// Falconer: label allow-list (label names as sent, e.g. `rule,priority,source,
        /// k8s_ns_name`). Empty (default): every label falcosidekick sends. Must keep `rule`,
        /// `source` or `priority`.
        #[serde(default)]
        pub labels: Vec<String>,
        /// Falconer: send the labels left out by `labels`, and the alert's `uuid`, as structured
        /// metadata of each entry (Loki 3 with structured metadata enabled). Default false.
        #[serde(default)]
        pub structuredmetadata: bool,
    }
}

impl std::fmt::Debug for LokiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LokiConfig")
            .field("hostport", &self.hostport)
            .field("endpoint", &self.endpoint)
            .field("user", &self.user)
            .field("apikey", &self.apikey)
            .field("tenant", &self.tenant)
            .field("format", &self.format)
            .field("labels", &self.labels)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

fn default_endpoint() -> String {
    "/loki/api/v1/push".into()
}

fn default_format() -> Choice<LineFormat> {
    Choice::new("text")
}

/// `format`: what a log line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineFormat {
    /// The alert's `output` (default).
    Text,
    /// The payload JSON.
    Json,
}

impl Choices for LineFormat {
    fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "" | "text" => Some(LineFormat::Text),
            "json" => Some(LineFormat::Json),
            _ => None,
        }
    }

    fn problem(raw: &str) -> String {
        format!("{raw:?} is not text or json")
    }
}

impl LokiConfig {
    /// `hostport` + `endpoint` (one trailing `/` of `hostport` is dropped).
    pub(crate) fn url(&self) -> Result<reqwest::Url, UrlError> {
        let base = self.hostport.strip_suffix('/').unwrap_or(&self.hostport);
        http_url(&format!("{base}{}", self.endpoint))
    }

    /// The request options: Loki's content type, tenant, basic auth, gzip.
    pub(crate) fn options(&self) -> TargetOptions {
        let mut options = TargetOptions {
            content_type: Some("application/json".into()),
            headers: Vec::new(),
            gzip: self.enablecompression,
        };
        if !self.tenant.is_empty() {
            options
                .headers
                .push(("X-Scope-OrgID".into(), self.tenant.clone()));
        }
        if !self.user.is_empty() && !self.apikey.is_empty() {
            options.basic_auth(&self.user, self.apikey.expose());
        }
        options
    }

    /// The encoder; `global` brings the customfields and templatedfields keys.
    pub(crate) fn encoder(&self, global: &falconer_config::GlobalSettings) -> LokiEncoder {
        let label_fields = global
            .customfields
            .keys()
            .chain(global.templatedfields.keys())
            .chain(&self.extralabels)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let allow: BTreeSet<String> = self
            .labels
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(label_name)
            .collect();
        LokiEncoder {
            label_fields,
            allow: (!allow.is_empty()).then_some(allow),
            json_lines: self.format.value() == Some(LineFormat::Json),
            structured_metadata: self.structuredmetadata,
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for LokiConfig {
    const KIND: &'static str = "loki";
    const BLOCK: &'static str = "loki";
    const ENABLED_BY: &'static [&'static str] = &["hostport"];
    const DESTINATION: &'static str = "loki";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LINGER);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if let Err(e) = self.url() {
            problems.push("hostport", e.to_string());
        }
        if !self.endpoint.starts_with('/') {
            problems.push(
                "endpoint",
                format!("{:?} does not start with /", self.endpoint),
            );
        }
        self.format.check("format", problems);
        let allow: Vec<String> = self
            .labels
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(label_name)
            .collect();
        if !allow.is_empty() && !allow.iter().any(|l| ALWAYS_PRESENT.contains(&l.as_str())) {
            problems.push(
                "labels",
                "must keep rule, source or priority (Loki refuses streams without labels)",
            );
        }
        if reqwest::header::HeaderValue::from_str(&self.tenant).is_err() {
            problems.push("tenant", "not a valid header value");
        }
        self.http.validate(problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = self.url().map_err(|e| BuildError::new(&cx.path, e))?;
        let target = self
            .http
            .target_with(&cx.global, reqwest::Method::POST, url, &self.options())
            .map_err(|e| BuildError::new(&cx.path, e))?;
        Ok(Arc::new(Loki::new(target, self.encoder(&cx.global))))
    }
}
