//! The `kafkarest` block: falcosidekick's keys.

use std::sync::Arc;
use std::time::Duration;

use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use falconer_http::{check_url, http_config, http_url, post_target, TargetOptions, TlsKeys};

use super::encode::content_type;
use super::output::KafkaRest;

/// Records per request at most, unless `batch.maxevents` says otherwise.
pub const DEFAULT_MAX_EVENTS: usize = 500;
/// Payload bytes per request at most, unless `batch.maxbytes` says otherwise (base64 adds a
/// third on the wire).
pub const DEFAULT_MAX_BYTES: usize = 1 << 20;
/// How long a partial batch waits, unless `batch.linger` says otherwise.
pub const DEFAULT_LINGER: Duration = Duration::from_secs(1);

fn default_version() -> u8 {
    2
}

http_config! {
    /// Configuration of one Kafka REST instance.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct KafkaRestConfig {
        /// URL of the topic on the proxy (`http://kafka-rest:8082/topics/falco`).
        pub address: String,
        /// The proxy's API version, 1 or 2 (default 2).
        #[serde(default = "default_version")]
        pub version: u8,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

#[async_trait::async_trait]
impl OutputConfig for KafkaRestConfig {
    const KIND: &'static str = "kafkarest";
    const BLOCK: &'static str = "kafkarest";
    const ENABLED_BY: &'static [&'static str] = &["address"];
    const DESTINATION: &'static str = "kafkarest";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LINGER);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_url("address", &self.address, problems);
        if !matches!(self.version, 1 | 2) {
            problems.push(
                "version",
                format!(
                    "{} is not 1 or 2 (the REST Proxy's API versions)",
                    self.version
                ),
            );
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = http_url(&self.address).map_err(|e| BuildError::new(&cx.path, e))?;
        let options = TargetOptions {
            content_type: Some(content_type(self.version)),
            ..TargetOptions::default()
        };
        let target = post_target(&cx, &self.tls.http(), url, &options)?;
        Ok(Arc::new(KafkaRest { target }))
    }
}
