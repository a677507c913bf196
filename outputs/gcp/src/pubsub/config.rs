//! The `gcp.pubsub` block: falcosidekick's keys (`projectid`, `topic`, `customattributes`,
//! and `gcp.credentials`, `gcp.workloadidentity` from the parent block) plus Falconer's
//! `endpoint`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use falconer_http::{check_url, http_url, post_target, HttpKeys, TargetOptions};
use serde::Deserialize;

use super::output::PubSub;
use crate::common::GoogleAuth;

/// Messages per publish request at most (Pub/Sub's limit is 1,000).
pub const DEFAULT_MAX_EVENTS: usize = 1000;
/// Payload bytes per request at most (Pub/Sub's limit is 10 MB, base64 adds a third).
pub const DEFAULT_MAX_BYTES: usize = 6 << 20;
/// How long a partial batch waits.
pub const DEFAULT_LINGER: Duration = Duration::from_millis(100);

fn default_endpoint() -> String {
    "https://pubsub.googleapis.com".into()
}

/// Configuration of one Pub/Sub instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PubSubConfig {
    /// The project of the topic.
    pub projectid: String,
    /// The topic's name (not its full resource name).
    pub topic: String,
    /// Attributes of every message (a YAML map, or `k:v,k2:v2`).
    #[serde(default)]
    pub customattributes: BTreeMap<String, String>,
    /// base64 of a service-account JSON key (from `gcp.credentials`); empty: the metadata
    /// server.
    #[serde(default)]
    pub credentials: Secret,
    /// Use the metadata server (GKE workload identity) even with `credentials`.
    #[serde(default)]
    pub workloadidentity: bool,
    /// Falconer: the API's base URL (default `https://pubsub.googleapis.com`; a private
    /// endpoint or the emulator).
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
}

/// A project or topic name as Pub/Sub allows it in a resource path.
fn check_name(key: &str, value: &str, problems: &mut falconer_core::Problems) {
    let ok = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.~+%".contains(c));
    if !ok {
        problems.push(
            key,
            format!("{value:?} is not a Pub/Sub name (letters, digits, - _ . ~ + %)"),
        );
    }
}

#[async_trait::async_trait]
impl OutputConfig for PubSubConfig {
    const KIND: &'static str = "gcppubsub";
    const BLOCK: &'static str = "gcp.pubsub";
    const ENABLED_BY: &'static [&'static str] = &["projectid", "topic"];
    const DESTINATION: &'static str = "gcppubsub";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LINGER);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_name("projectid", &self.projectid, problems);
        check_name("topic", &self.topic, problems);
        check_url("endpoint", &self.endpoint, problems);
        crate::common::check_credentials(&self.credentials, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let address = format!(
            "{}/v1/projects/{}/topics/{}:publish",
            self.endpoint.trim_end_matches('/'),
            self.projectid,
            self.topic
        );
        let url = http_url(&address).map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &HttpKeys::default(), url, &TargetOptions::default())?;
        let auth = GoogleAuth::new(&cx, self.credentials.expose(), self.workloadidentity)?;
        Ok(Arc::new(PubSub {
            target,
            auth,
            attributes: self.customattributes,
        }))
    }
}
