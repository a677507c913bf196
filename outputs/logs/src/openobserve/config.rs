//! The `openobserve` block: falcosidekick's keys.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use falconer_http::{
    check_url, http_config, http_url, post_target, HttpKeys, TargetOptions, UrlError,
};

use super::output::OpenObserve;

/// Records per request at most, unless `batch.maxevents` says otherwise.
pub const DEFAULT_MAX_EVENTS: usize = 1000;
/// Payload bytes per request at most, unless `batch.maxbytes` says otherwise.
pub const DEFAULT_MAX_BYTES: usize = 4 << 20;
/// How long a partial batch waits, unless `batch.linger` says otherwise.
pub const DEFAULT_LINGER: Duration = Duration::from_secs(1);

http_config! {
    /// Configuration of one OpenObserve instance. `Debug` never shows the password or header
    /// values.
    #[serde(deny_unknown_fields)]
    pub struct OpenObserveConfig {
        /// Base URL of OpenObserve (`http://openobserve:5080`).
        pub hostport: String,
        /// Organization the stream belongs to.
        #[serde(default = "default_organization")]
        pub organizationname: String,
        /// Stream the records go to.
        #[serde(default = "default_stream")]
        pub streamname: String,
        /// Basic-auth user (sent only together with `password`).
        #[serde(default)]
        pub username: String,
        /// Basic-auth password (sent only together with `username`).
        #[serde(default)]
        pub password: Secret,
        /// `customheaders`, `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub http: HttpKeys,
    }
}

impl std::fmt::Debug for OpenObserveConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenObserveConfig")
            .field("hostport", &self.hostport)
            .field("organizationname", &self.organizationname)
            .field("streamname", &self.streamname)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("http", &self.http)
            .finish()
    }
}

fn default_organization() -> String {
    "default".into()
}

fn default_stream() -> String {
    "falco".into()
}

impl OpenObserveConfig {
    /// `{hostport}/api/{organizationname}/{streamname}/_multi` (one trailing `/` of
    /// `hostport` dropped).
    pub(crate) fn url(&self) -> Result<reqwest::Url, UrlError> {
        let base = self.hostport.strip_suffix('/').unwrap_or(&self.hostport);
        http_url(&format!(
            "{base}/api/{}/{}/_multi",
            self.organizationname, self.streamname
        ))
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

fn check_segment(key: &str, value: &str, problems: &mut falconer_core::Problems) {
    if value.is_empty() || value.contains(['/', '?', '#']) {
        problems.push(key, format!("{value:?} is not a valid name"));
    }
}

#[async_trait::async_trait]
impl OutputConfig for OpenObserveConfig {
    const KIND: &'static str = "openobserve";
    const BLOCK: &'static str = "openobserve";
    const ENABLED_BY: &'static [&'static str] = &["hostport"];
    const DESTINATION: &'static str = "openobserve";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LINGER);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_url("hostport", &self.hostport, problems);
        check_segment("organizationname", &self.organizationname, problems);
        check_segment("streamname", &self.streamname, problems);
        self.http.validate(problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = self.url().map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &self.http, url, &self.options())?;
        Ok(Arc::new(OpenObserve::new(target)))
    }
}
