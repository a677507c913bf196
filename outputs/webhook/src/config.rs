//! The `webhook` block.

use std::sync::Arc;

use falconer_core::{BuildContext, BuildError, Choice, Choices, Output, OutputConfig};
use falconer_http::{http_config, http_url, HttpKeys};

use crate::output::Webhook;

http_config! {
    /// Configuration of one webhook instance. `Debug` shows header names, not values.
    #[serde(deny_unknown_fields)]
    pub struct WebhookConfig {
        /// URL the alerts are sent to (`http://` or `https://`).
        pub address: String,
        /// `POST` (default) or `PUT`, any case.
        #[serde(default = "default_method")]
        pub method: Choice<Method>,
        /// `customheaders` (they may override `Content-Type`), `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub http: HttpKeys,
    }
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("method", &self.method)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

fn default_method() -> Choice<Method> {
    Choice::new("POST")
}

/// `method`: `POST` (also when empty) or `PUT`, any case.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Method {
    /// `POST`.
    #[default]
    Post,
    /// `PUT`.
    Put,
}

impl Choices for Method {
    fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_uppercase().as_str() {
            "" | "POST" => Some(Method::Post),
            "PUT" => Some(Method::Put),
            _ => None,
        }
    }

    fn problem(raw: &str) -> String {
        format!("{raw:?} is not POST or PUT")
    }
}

impl From<Method> for reqwest::Method {
    fn from(method: Method) -> Self {
        match method {
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for WebhookConfig {
    const KIND: &'static str = "webhook";
    const BLOCK: &'static str = "webhook";
    const ENABLED_BY: &'static [&'static str] = &["address"];
    const DESTINATION: &'static str = "webhook";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if let Err(e) = http_url(&self.address) {
            problems.push("address", e.to_string());
        }
        self.method.check("method", problems);
        self.http.validate(problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = reqwest::Url::parse(&self.address).map_err(|e| BuildError::new(&cx.path, e))?;
        let method = self.method.get().into();
        let target = self
            .http
            .target(&cx.global, method, url)
            .map_err(|e| BuildError::new(&cx.path, e))?;
        Ok(Arc::new(Webhook::new(target)))
    }
}
