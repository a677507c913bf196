//! The `statsd` and `dogstatsd` blocks: falcosidekick's keys (`forwarder`, `namespace`, and
//! DogStatsD's `tags`) plus Falconer's `flushinterval`.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::GoDuration;
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use serde::Deserialize;

use super::encode::Flavor;
use super::mirror::Mirror;
use super::output::{spawn_flush, Agent, Statsd};
use crate::transport::{Protocol, Transport};

/// Alerts counted in one send at most (their lines are packed into datagrams).
pub const DEFAULT_MAX_EVENTS: usize = 100;

fn default_namespace() -> String {
    "falcosidekick.".into()
}

fn default_flush() -> GoDuration {
    GoDuration(Duration::from_secs(1))
}

/// `host:port` split; the problem otherwise.
fn split_forwarder(forwarder: &str) -> Result<(String, u16), String> {
    let (host, port) = forwarder
        .trim()
        .rsplit_once(':')
        .ok_or_else(|| format!("{forwarder:?} is not host:port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port: u16 = port
        .parse()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("{port:?} is not a port number (1-65535)"))?;
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(format!("{forwarder:?} has no host"));
    }
    Ok((host.to_owned(), port))
}

fn check(forwarder: &str, flush: GoDuration, problems: &mut falconer_core::Problems) {
    if let Err(e) = split_forwarder(forwarder) {
        problems.push("forwarder", e);
    }
    if flush.0.is_zero() {
        problems.push("flushinterval", "must be more than 0");
    }
}

async fn build_agent(
    cx: &BuildContext,
    forwarder: &str,
    namespace: String,
    flavor: Flavor,
    flush: GoDuration,
) -> Result<Arc<dyn Output>, BuildError> {
    let (host, port) = split_forwarder(forwarder).map_err(|e| BuildError::new(&cx.path, e))?;
    let transport = Transport::new(host, port, Protocol::Udp, None)
        .map_err(|e| BuildError::new(&cx.path, e))?;
    let agent = Arc::new(Agent {
        namespace,
        flavor,
        transport,
    });
    match cx.resources.get::<prometheus::Registry>() {
        Some(registry) => spawn_flush(&agent, Mirror::new((*registry).clone()), flush.0),
        None => {
            tracing::debug!(output = %cx.name, "No metrics registry: only falco.accepted is sent.")
        }
    }
    Ok(Arc::new(Statsd { agent }))
}

/// Configuration of the StatsD instance.
#[cfg(feature = "statsd")]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsdConfig {
    /// The agent's `host:port` (UDP).
    pub forwarder: String,
    /// Prefix of every metric (default `falcosidekick.`).
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Falconer: how often the request and delivery counts are pushed (default `1s`).
    #[serde(default = "default_flush")]
    pub flushinterval: GoDuration,
}

#[cfg(feature = "statsd")]
#[async_trait::async_trait]
impl OutputConfig for StatsdConfig {
    const KIND: &'static str = "statsd";
    const BLOCK: &'static str = "statsd";
    const ENABLED_BY: &'static [&'static str] = &["forwarder"];
    const DESTINATION: &'static str = "statsd";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, 64 << 10, Duration::ZERO);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check(&self.forwarder, self.flushinterval, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        build_agent(
            &cx,
            &self.forwarder,
            self.namespace,
            Flavor::Statsd,
            self.flushinterval,
        )
        .await
    }
}

/// Configuration of the DogStatsD instance.
#[cfg(feature = "dogstatsd")]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DogstatsdConfig {
    /// The agent's `host:port` (UDP).
    pub forwarder: String,
    /// Prefix of every metric (default `falcosidekick.`).
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Tags of every metric (`key:value`; a YAML list or a comma list).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Falconer: how often the request and delivery counts are pushed (default `1s`).
    #[serde(default = "default_flush")]
    pub flushinterval: GoDuration,
}

#[cfg(feature = "dogstatsd")]
#[async_trait::async_trait]
impl OutputConfig for DogstatsdConfig {
    const KIND: &'static str = "dogstatsd";
    const BLOCK: &'static str = "dogstatsd";
    const ENABLED_BY: &'static [&'static str] = &["forwarder"];
    const DESTINATION: &'static str = "dogstatsd";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, 64 << 10, Duration::ZERO);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check(&self.forwarder, self.flushinterval, problems);
        if self.tags.iter().any(|t| t.contains(['|', ',', '\n'])) {
            problems.push("tags", "a tag must not contain |, a comma or a newline");
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let tags = self
            .tags
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        build_agent(
            &cx,
            &self.forwarder,
            self.namespace,
            Flavor::Dogstatsd { tags },
            self.flushinterval,
        )
        .await
    }
}
