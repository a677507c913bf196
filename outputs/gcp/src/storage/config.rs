//! The `gcp.storage` block: falcosidekick's keys (`bucket`, `prefix`, and `gcp.credentials`,
//! `gcp.workloadidentity` from the parent block) plus Falconer's `endpoint`.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{check_url, http_url, post_target, HttpKeys, TargetOptions};
use serde::Deserialize;

use super::output::Storage;
use crate::common::GoogleAuth;

fn default_endpoint() -> String {
    "https://storage.googleapis.com".into()
}

/// Configuration of one Cloud Storage instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// The bucket.
    pub bucket: String,
    /// The objects' name prefix (falcosidekick's names start with `/` when it is empty).
    #[serde(default)]
    pub prefix: String,
    /// base64 of a service-account JSON key (from `gcp.credentials`); empty: the metadata
    /// server (falcosidekick required a key for Cloud Storage).
    #[serde(default)]
    pub credentials: Secret,
    /// Use the metadata server (GKE workload identity) even with `credentials`.
    #[serde(default)]
    pub workloadidentity: bool,
    /// Falconer: the API's base URL (default `https://storage.googleapis.com`).
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
}

/// A bucket name as Cloud Storage allows it.
fn is_bucket_name(name: &str) -> bool {
    (3..=222).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

#[async_trait::async_trait]
impl OutputConfig for StorageConfig {
    const KIND: &'static str = "gcpstorage";
    const BLOCK: &'static str = "gcp.storage";
    const ENABLED_BY: &'static [&'static str] = &["bucket"];
    const DESTINATION: &'static str = "gcpstorage";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if !is_bucket_name(&self.bucket) {
            problems.push(
                "bucket",
                format!(
                    "{:?} is not a bucket name (3-222 lowercase letters, digits, - _ .)",
                    self.bucket
                ),
            );
        }
        check_url("endpoint", &self.endpoint, problems);
        crate::common::check_credentials(&self.credentials, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let address = format!(
            "{}/upload/storage/v1/b/{}/o",
            self.endpoint.trim_end_matches('/'),
            self.bucket
        );
        let upload = http_url(&address).map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &HttpKeys::default(), upload, &TargetOptions::default())?;
        let auth = GoogleAuth::new(&cx, self.credentials.expose(), self.workloadidentity)?;
        Ok(Arc::new(Storage {
            target,
            auth,
            prefix: self.prefix,
        }))
    }
}
