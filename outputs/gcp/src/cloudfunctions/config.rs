//! The `gcp.cloudfunctions` block: falcosidekick's `name` (and `gcp.credentials`,
//! `gcp.workloadidentity` from the parent block) plus Falconer's `endpoint`.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{check_url, http_url, post_target, HttpKeys, TargetOptions};
use serde::Deserialize;

use super::output::CloudFunctions;
use crate::common::GoogleAuth;

fn default_endpoint() -> String {
    "https://cloudfunctions.googleapis.com".into()
}

/// Configuration of one Cloud Functions instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudFunctionsConfig {
    /// The function's full resource name:
    /// `projects/<project>/locations/<region>/functions/<name>`.
    pub name: String,
    /// base64 of a service-account JSON key (from `gcp.credentials`); empty: the metadata
    /// server.
    #[serde(default)]
    pub credentials: Secret,
    /// Use the metadata server (GKE workload identity) even with `credentials`.
    #[serde(default)]
    pub workloadidentity: bool,
    /// Falconer: the API's base URL (default `https://cloudfunctions.googleapis.com`).
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
}

/// True for `projects/<p>/locations/<l>/functions/<f>` with names of letters, digits, `-`
/// and `_`.
fn is_function_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    let ok_part = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    parts.len() == 6
        && parts[0] == "projects"
        && parts[2] == "locations"
        && parts[4] == "functions"
        && [parts[1], parts[3], parts[5]].iter().all(|p| ok_part(p))
}

#[async_trait::async_trait]
impl OutputConfig for CloudFunctionsConfig {
    const KIND: &'static str = "gcpcloudfunctions";
    const BLOCK: &'static str = "gcp.cloudfunctions";
    const ENABLED_BY: &'static [&'static str] = &["name"];
    const DESTINATION: &'static str = "gcpcloudfunctions";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if !is_function_name(self.name.trim()) {
            problems.push(
                "name",
                format!(
                    "{:?} is not a function's full name (projects/<project>/locations/<region>/functions/<name>)",
                    self.name
                ),
            );
        }
        check_url("endpoint", &self.endpoint, problems);
        crate::common::check_credentials(&self.credentials, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let address = format!(
            "{}/v1/{}:call",
            self.endpoint.trim_end_matches('/'),
            self.name.trim()
        );
        let url = http_url(&address).map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &HttpKeys::default(), url, &TargetOptions::default())?;
        let auth = GoogleAuth::new(&cx, self.credentials.expose(), self.workloadidentity)?;
        Ok(Arc::new(CloudFunctions { target, auth }))
    }
}
