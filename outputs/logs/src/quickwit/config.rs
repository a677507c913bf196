//! The `quickwit` block: falcosidekick's keys.

use std::sync::Arc;
use std::time::Duration;

use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use falconer_http::{
    check_url, http_config, http_url, post_target, HttpKeys, TargetOptions, UrlError,
};

use super::output::Quickwit;

/// Documents per ingest request at most, unless `batch.maxevents` says otherwise.
pub const DEFAULT_MAX_EVENTS: usize = 1000;
/// Payload bytes per request at most, unless `batch.maxbytes` says otherwise (Quickwit
/// refuses bodies over 10 MiB by default).
pub const DEFAULT_MAX_BYTES: usize = 4 << 20;
/// How long a partial batch waits, unless `batch.linger` says otherwise.
pub const DEFAULT_LINGER: Duration = Duration::from_secs(1);

http_config! {
    /// Configuration of one Quickwit instance. `Debug` shows header names only.
    #[serde(deny_unknown_fields)]
    pub struct QuickwitConfig {
        /// Base URL of Quickwit (`http://quickwit:7280`).
        pub hostport: String,
        /// API prefix between the base URL and the index.
        #[serde(default = "default_apiendpoint")]
        pub apiendpoint: String,
        /// Index the documents go to.
        #[serde(default = "default_index")]
        pub index: String,
        /// `version` of the index config created by `autocreateindex`.
        #[serde(default = "default_version")]
        pub version: String,
        /// Create the index at startup (falcosidekick's doc mapping) if it does not exist.
        #[serde(default)]
        pub autocreateindex: bool,
        /// `customheaders`, `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub http: HttpKeys,
    }
}

impl std::fmt::Debug for QuickwitConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuickwitConfig")
            .field("hostport", &self.hostport)
            .field("apiendpoint", &self.apiendpoint)
            .field("index", &self.index)
            .field("version", &self.version)
            .field("autocreateindex", &self.autocreateindex)
            .field("http", &self.http)
            .finish()
    }
}

fn default_apiendpoint() -> String {
    "api/v1".into()
}

fn default_index() -> String {
    "falco".into()
}

fn default_version() -> String {
    "0.7".into()
}

impl QuickwitConfig {
    /// `{hostport}/{apiendpoint}/{rest}`, as falcosidekick joins them (one trailing `/` of
    /// `hostport` and the slashes around `apiendpoint` are dropped, so no `//` appears).
    pub(crate) fn api_url(&self, rest: &str) -> Result<reqwest::Url, UrlError> {
        let base = self.hostport.strip_suffix('/').unwrap_or(&self.hostport);
        let api = self.apiendpoint.trim_matches('/');
        let url = if api.is_empty() {
            format!("{base}/{rest}")
        } else {
            format!("{base}/{api}/{rest}")
        };
        http_url(&url)
    }

    /// The ingest URL.
    pub(crate) fn ingest_url(&self) -> Result<reqwest::Url, UrlError> {
        self.api_url(&format!("{}/ingest", self.index))
    }
}

#[async_trait::async_trait]
impl OutputConfig for QuickwitConfig {
    const KIND: &'static str = "quickwit";
    const BLOCK: &'static str = "quickwit";
    const ENABLED_BY: &'static [&'static str] = &["hostport"];
    const DESTINATION: &'static str = "quickwit";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LINGER);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_url("hostport", &self.hostport, problems);
        if self.index.is_empty() || self.index.contains(['/', '?', '#']) {
            problems.push("index", format!("{:?} is not a valid index id", self.index));
        }
        self.http.validate(problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = self
            .ingest_url()
            .map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &self.http, url, &TargetOptions::default())?;
        if self.autocreateindex {
            super::index::ensure_index(&self, &target)
                .await
                .map_err(|e| BuildError::new(&cx.path, e))?;
        }
        Ok(Arc::new(Quickwit::new(target)))
    }
}
