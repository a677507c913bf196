//! The `webui` block: falcosidekick's `url`, or Falconer's built-in store.

use std::sync::Arc;
use std::time::Duration;

use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use falconer_http::HttpClientSettings;
use falconer_webui::{StoreSettings, Stores};
use serde::Deserialize;

use crate::output::{Remote, StoreOutput};

/// Alerts per store transaction at most.
const MAX_BATCH: usize = 500;
/// How long a batch waits to fill. Each transaction has a fixed cost (the word index writes
/// a segment, the counts are updated): at a few hundred alerts/s, 500 ms instead of 50 ms
/// saves about a fifth of the CPU per alert, and the UI shows an alert at most half a second
/// later.
const LINGER: Duration = Duration::from_millis(500);

/// Configuration of one `webui` instance. `Debug` never shows a DSN.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebUiConfig {
    /// falcosidekick's key: the URL of a falcosidekick-ui (or of another Falconer's UI),
    /// e.g. `http://falcosidekick-ui:2802`. Credentials in the URL
    /// (`http://user:password@host:2802`) are sent as basic auth. Empty: the built-in store.
    #[serde(default)]
    pub url: String,
    /// The store to write to, when not the `ui.store` of this Falconer (same keys as
    /// `ui.store`).
    #[serde(default)]
    pub store: Option<StoreSettings>,
    /// Verify the remote UI's TLS certificate (`url` only).
    #[serde(default = "default_true")]
    pub checkcert: bool,
    /// Present the client certificate from `mutualtlsfilespath` (`url` only).
    #[serde(default)]
    pub mutualtls: bool,
    /// Headers added to every request (`url` only).
    #[serde(default)]
    pub customheaders: std::collections::BTreeMap<String, String>,
}

fn default_true() -> bool {
    true
}

impl WebUiConfig {
    fn remote_url(&self) -> Option<Result<reqwest::Url, String>> {
        let raw = self.url.trim();
        if raw.is_empty() {
            return None;
        }
        Some(match reqwest::Url::parse(raw) {
            Ok(mut url) if matches!(url.scheme(), "http" | "https") => {
                if url.path().is_empty() || url.path() == "/" {
                    url.set_path("/api/v1/events/add");
                }
                Ok(url)
            }
            Ok(url) => Err(format!("scheme {:?} is not http or https", url.scheme())),
            Err(e) => Err(format!("invalid URL: {e}")),
        })
    }

    fn store_settings(&self, stores: &Stores) -> StoreSettings {
        match &self.store {
            Some(s) => {
                let mut s = s.clone();
                s.resolve("");
                s
            }
            None => stores.default_settings(),
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for WebUiConfig {
    const KIND: &'static str = "webui";
    const BLOCK: &'static str = "webui";
    const ENABLED_BY: &'static [&'static str] = &["url"];
    const DESTINATION: &'static str = "webui";
    const DEFAULTS: DeliveryDefaults = DeliveryDefaults::batching(MAX_BATCH, 16 << 20, LINGER);

    fn delivery_defaults(&self) -> DeliveryDefaults {
        if self.url.trim().is_empty() {
            Self::DEFAULTS
        } else {
            // A falcosidekick-ui takes one event per request.
            DeliveryDefaults::REALTIME
        }
    }

    fn validate(&self, problems: &mut falconer_core::Problems) {
        match self.remote_url() {
            Some(Err(e)) => problems.push("url", e),
            Some(Ok(_)) => {
                if self.store.is_some() {
                    problems.push("store", "use either url or store, not both");
                }
            }
            None => {
                if let Some(s) = &self.store {
                    let mut store = Vec::new();
                    s.validate(&mut store);
                    for (path, message) in store {
                        problems.push(format!("store.{path}"), message);
                    }
                }
            }
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        if let Some(url) = self.remote_url() {
            let url = url.map_err(|e| BuildError::new(&cx.path, e))?;
            let http = HttpClientSettings {
                checkcert: self.checkcert,
                mutualtls: self.mutualtls,
                customheaders: self.customheaders.clone(),
            };
            let target = http
                .target(&cx.global, reqwest::Method::POST, url)
                .map_err(|e| BuildError::new(&cx.path, e))?;
            return Ok(Arc::new(Remote::new(target)));
        }
        // The process's stores (shared with the UI); a build without them opens its own.
        let stores = cx
            .resources
            .get::<Stores>()
            .unwrap_or_else(Stores::with_defaults);
        let settings = self.store_settings(&stores);
        let store = stores
            .shared(&settings)
            .await
            .map_err(|e| BuildError::new(&cx.path, e))?;
        Ok(Arc::new(StoreOutput::new(store, cx.name)))
    }
}
