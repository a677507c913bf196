//! The `zincsearch` block: falcosidekick's keys, plus `mutualtls`.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use falconer_http::{
    check_url, http_config, http_url, post_target, TargetOptions, TlsKeys, UrlError,
};

use super::output::ZincSearch;

/// Documents per request at most, unless `batch.maxevents` says otherwise.
pub const DEFAULT_MAX_EVENTS: usize = 1000;
/// Payload bytes per request at most, unless `batch.maxbytes` says otherwise.
pub const DEFAULT_MAX_BYTES: usize = 4 << 20;
/// How long a partial batch waits, unless `batch.linger` says otherwise.
pub const DEFAULT_LINGER: Duration = Duration::from_secs(1);

http_config! {
    /// Configuration of one ZincSearch instance. `Debug` never shows the password.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct ZincSearchConfig {
        /// Base URL of ZincSearch (`http://zincsearch:4080`).
        pub hostport: String,
        /// Index the documents go to.
        #[serde(default = "default_index")]
        pub index: String,
        /// Basic-auth user (sent only together with `password`).
        #[serde(default)]
        pub username: String,
        /// Basic-auth password (sent only together with `username`).
        #[serde(default)]
        pub password: Secret,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

fn default_index() -> String {
    "falco".into()
}

impl ZincSearchConfig {
    /// `{hostport}/api/{index}/{api}` (one trailing `/` of `hostport` dropped).
    pub(crate) fn url(&self, api: &str) -> Result<reqwest::Url, UrlError> {
        let base = self.hostport.strip_suffix('/').unwrap_or(&self.hostport);
        http_url(&format!("{base}/api/{}/{api}", self.index))
    }

    /// Basic auth when both `username` and `password` are set.
    pub(crate) fn options(&self) -> TargetOptions {
        let mut options = TargetOptions::default();
        if !self.username.is_empty() && !self.password.is_empty() {
            options.basic_auth(&self.username, self.password.expose());
        }
        options
    }
}

#[async_trait::async_trait]
impl OutputConfig for ZincSearchConfig {
    const KIND: &'static str = "zincsearch";
    const BLOCK: &'static str = "zincsearch";
    const ENABLED_BY: &'static [&'static str] = &["hostport"];
    const DESTINATION: &'static str = "zincsearch";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LINGER);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_url("hostport", &self.hostport, problems);
        if self.index.is_empty() || self.index.contains(['/', '?', '#']) {
            problems.push(
                "index",
                format!("{:?} is not a valid index name", self.index),
            );
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let doc = self.url("_doc").map_err(|e| BuildError::new(&cx.path, e))?;
        let multi = self
            .url("_multi")
            .map_err(|e| BuildError::new(&cx.path, e))?;
        let doc = post_target(&cx, &self.tls.http(), doc, &self.options())?;
        let multi = doc.retarget(reqwest::Method::POST, multi);
        Ok(Arc::new(ZincSearch { doc, multi }))
    }
}
