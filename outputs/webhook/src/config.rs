//! The `webhook` block.

use std::collections::BTreeMap;
use std::sync::Arc;

use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::HttpClientSettings;
use serde::Deserialize;

use crate::output::Webhook;

/// Configuration of one webhook instance. `Debug` shows header names, not values.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// URL the alerts are sent to (`http://` or `https://`).
    pub address: String,
    /// `POST` (default) or `PUT`, any case.
    #[serde(default = "default_method")]
    pub method: String,
    /// Headers added to every request (they may override `Content-Type`).
    #[serde(default)]
    pub customheaders: BTreeMap<String, String>,
    /// Verify the server's TLS certificate.
    #[serde(default = "default_true")]
    pub checkcert: bool,
    /// Present the client certificate from `mutualtlsfilespath` / `mutualtlsclient`.
    #[serde(default)]
    pub mutualtls: bool,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("method", &self.method)
            .field("http", &self.http())
            .finish_non_exhaustive()
    }
}

fn default_method() -> String {
    "POST".to_owned()
}

fn default_true() -> bool {
    true
}

impl WebhookConfig {
    fn http(&self) -> HttpClientSettings {
        HttpClientSettings {
            checkcert: self.checkcert,
            mutualtls: self.mutualtls,
            customheaders: self.customheaders.clone(),
        }
    }

    #[cfg(test)]
    pub(crate) fn http_settings_for_test(&self) -> HttpClientSettings {
        self.http()
    }

    fn method(&self) -> Option<reqwest::Method> {
        match self.method.to_ascii_uppercase().as_str() {
            "" | "POST" => Some(reqwest::Method::POST),
            "PUT" => Some(reqwest::Method::PUT),
            _ => None,
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for WebhookConfig {
    const KIND: &'static str = "webhook";
    const BLOCK: &'static str = "webhook";
    const ENABLED_BY: &'static [&'static str] = &["address"];
    const DESTINATION: &'static str = "webhook";

    fn validate(&self, problems: &mut Vec<(String, String)>) {
        match reqwest::Url::parse(&self.address) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            Ok(url) => problems.push((
                "address".into(),
                format!("scheme {:?} is not http or https", url.scheme()),
            )),
            Err(e) => problems.push(("address".into(), format!("invalid URL: {e}"))),
        }
        if self.method().is_none() {
            problems.push((
                "method".into(),
                format!("{:?} is not POST or PUT", self.method),
            ));
        }
        for name in self.http().invalid_headers() {
            problems.push((
                format!("customheaders.{name}"),
                "invalid header name or value".into(),
            ));
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = reqwest::Url::parse(&self.address).map_err(|e| BuildError::new(&cx.path, e))?;
        let method = self.method().unwrap_or(reqwest::Method::POST);
        let target = self
            .http()
            .target(&cx.global, method, url)
            .map_err(|e| BuildError::new(&cx.path, e))?;
        Ok(Arc::new(Webhook::new(target)))
    }
}
