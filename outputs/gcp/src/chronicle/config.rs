//! The `gcp.chronicle` block: falcosidekick's keys (`projectid`, `instanceid`, `region`,
//! `logtype`, and `gcp.credentials`, `gcp.workloadidentity` from the parent block) plus
//! Falconer's `endpoint`.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use falconer_http::{check_url, http_url, post_target, HttpKeys, TargetOptions};
use serde::Deserialize;

use super::output::Chronicle;
use crate::common::GoogleAuth;

/// Logs per import request at most.
pub const DEFAULT_MAX_EVENTS: usize = 500;
/// Payload bytes per request at most (the API takes up to 4 MB; base64 adds a third).
pub const DEFAULT_MAX_BYTES: usize = 2 << 20;
/// How long a partial batch waits.
pub const DEFAULT_LINGER: Duration = Duration::from_secs(1);

fn default_logtype() -> String {
    "FALCO_IDS".into()
}

/// Configuration of one Chronicle instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChronicleConfig {
    /// The Google Cloud project of the Chronicle instance.
    pub projectid: String,
    /// The Chronicle instance (customer) ID.
    pub instanceid: String,
    /// The instance's region (`us`, `europe-west2`, …).
    pub region: String,
    /// The log type (default `FALCO_IDS`).
    #[serde(default = "default_logtype")]
    pub logtype: String,
    /// base64 of a service-account JSON key (from `gcp.credentials`); empty: the metadata
    /// server.
    #[serde(default)]
    pub credentials: Secret,
    /// Use the metadata server (GKE workload identity) even with `credentials`.
    #[serde(default)]
    pub workloadidentity: bool,
    /// Falconer: the API's base URL (default `https://chronicle.<region>.rep.googleapis.com`).
    #[serde(default)]
    pub endpoint: String,
}

/// falcosidekick's rule for the path segments: `^[a-zA-Z0-9][a-zA-Z0-9_-]*$`.
fn check_segment(key: &str, value: &str, problems: &mut falconer_core::Problems) {
    let ok = value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !ok {
        problems.push(
            key,
            format!("{value:?} must be letters, digits, _ and -, starting with a letter or digit"),
        );
    }
}

impl ChronicleConfig {
    fn import_url(&self) -> String {
        let base = match self.endpoint.trim() {
            "" => format!("https://chronicle.{}.rep.googleapis.com", self.region),
            e => e.trim_end_matches('/').to_owned(),
        };
        format!(
            "{base}/v1beta/projects/{}/locations/{}/instances/{}/logTypes/{}/logs:import",
            self.projectid, self.region, self.instanceid, self.logtype
        )
    }
}

#[async_trait::async_trait]
impl OutputConfig for ChronicleConfig {
    const KIND: &'static str = "gcpchronicle";
    const BLOCK: &'static str = "gcp.chronicle";
    const ENABLED_BY: &'static [&'static str] = &["projectid", "instanceid", "region"];
    const DESTINATION: &'static str = "gcpchronicle";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LINGER);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_segment("projectid", &self.projectid, problems);
        check_segment("instanceid", &self.instanceid, problems);
        check_segment("region", &self.region, problems);
        check_segment("logtype", &self.logtype, problems);
        if !self.endpoint.trim().is_empty() {
            check_url("endpoint", &self.endpoint, problems);
        }
        crate::common::check_credentials(&self.credentials, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = http_url(&self.import_url()).map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &HttpKeys::default(), url, &TargetOptions::default())?;
        let auth = GoogleAuth::new(&cx, self.credentials.expose(), self.workloadidentity)?;
        Ok(Arc::new(Chronicle { target, auth }))
    }
}
