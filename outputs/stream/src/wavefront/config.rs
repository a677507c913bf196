//! The `wavefront` block: falcosidekick's keys (`endpointtype`, `endpointhost`,
//! `endpointtoken`, `endpointmetricport`, `metricname`, `batchsize`, `flushintervalseconds`)
//! plus Falconer's `checkcert` and `mutualtls` for the direct API.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::Secret;
use falconer_core::{
    BuildContext, BuildError, Choice, Choices, DeliveryDefaults, Output, OutputConfig,
};
use falconer_http::{http_config, http_url, post_target, TargetOptions, TlsKeys};

use super::output::{Wavefront, WavefrontSink};
use crate::transport::{Protocol, Transport};

/// Points per request (direct) or write (proxy), unless `batchsize` says otherwise.
pub const DEFAULT_BATCH_SIZE: usize = 10_000;
/// Payload bytes per request or write at most.
pub const DEFAULT_MAX_BYTES: usize = 4 << 20;
/// How long a partial batch waits for the direct API, unless `flushintervalseconds` says
/// otherwise.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(1);

/// Where points go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointType {
    /// The Wavefront API over HTTPS, with a token.
    Direct,
    /// A Wavefront proxy's metrics port over TCP.
    Proxy,
}

impl Choices for EndpointType {
    fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "direct" => Some(EndpointType::Direct),
            "proxy" => Some(EndpointType::Proxy),
            _ => None,
        }
    }

    fn problem(raw: &str) -> String {
        match raw.trim() {
            "" => "is required: direct or proxy".into(),
            other => format!("{other:?} is not direct or proxy"),
        }
    }
}

fn default_port() -> u32 {
    2878
}

fn default_metric() -> String {
    "falco.alert".into()
}

fn default_batch_size() -> i64 {
    DEFAULT_BATCH_SIZE as i64
}

http_config! {
    /// Configuration of one Wavefront instance.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct WavefrontConfig {
        /// `direct` (the Wavefront API, with `endpointtoken`) or `proxy` (a Wavefront proxy).
        #[serde(default)]
        pub endpointtype: Choice<EndpointType>,
        /// direct: the Wavefront host (`example.wavefront.com`; a full `https://` URL works
        /// too); proxy: the proxy's host name or address.
        pub endpointhost: String,
        /// direct: the API token, sent as `Authorization: Bearer`.
        #[serde(default)]
        pub endpointtoken: Secret,
        /// proxy: the proxy's metrics port (default 2878).
        #[serde(default = "default_port")]
        pub endpointmetricport: u32,
        /// The metric name (default `falco.alert`).
        #[serde(default = "default_metric")]
        pub metricname: String,
        /// Points per request or write at most (default 10000; 0 or less: the default).
        #[serde(default = "default_batch_size")]
        pub batchsize: i64,
        /// direct: seconds a partial batch waits (default 1; 0 or less: the default).
        #[serde(default)]
        pub flushintervalseconds: Option<i64>,
        /// The misspelt key falcosidekick registers `flushintervalseconds`'s default under:
        /// read when `flushintervalseconds` is not set (a config may hold both, as
        /// falcosidekick accepts; the correct key wins).
        #[serde(default)]
        pub flushintervalsecods: Option<i64>,
        /// Falconer, direct only: `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

impl WavefrontConfig {
    fn batch_size(&self) -> usize {
        usize::try_from(self.batchsize)
            .ok()
            .filter(|n| *n > 0)
            .unwrap_or(DEFAULT_BATCH_SIZE)
    }

    /// `flushintervalseconds`, else falcosidekick's misspelt `flushintervalsecods`, else 1.
    fn flush_interval_seconds(&self) -> i64 {
        self.flushintervalseconds
            .or(self.flushintervalsecods)
            .unwrap_or(1)
    }

    fn port(&self) -> Option<u16> {
        u16::try_from(self.endpointmetricport)
            .ok()
            .filter(|p| *p > 0)
    }

    /// The direct API's report URL: `https://<host>/report?f=wavefront` (a host given as a
    /// URL keeps its scheme and path prefix).
    fn report_url(&self) -> String {
        let host = self.endpointhost.trim().trim_end_matches('/');
        let base = if host.contains("://") {
            host.to_owned()
        } else {
            format!("https://{host}")
        };
        format!("{base}/report?f=wavefront")
    }
}

#[async_trait::async_trait]
impl OutputConfig for WavefrontConfig {
    const KIND: &'static str = "wavefront";
    const BLOCK: &'static str = "wavefront";
    const ENABLED_BY: &'static [&'static str] = &["endpointhost"];
    const DESTINATION: &'static str = "wavefront";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_BATCH_SIZE, DEFAULT_MAX_BYTES, Duration::ZERO);

    fn delivery_defaults(&self) -> DeliveryDefaults {
        let linger = match self.endpointtype.value() {
            // falcosidekick flushes the proxy connection after each point: nothing waits.
            Some(EndpointType::Proxy) | None => Duration::ZERO,
            Some(EndpointType::Direct) => u64::try_from(self.flush_interval_seconds())
                .ok()
                .filter(|s| *s > 0)
                .map_or(DEFAULT_FLUSH_INTERVAL, Duration::from_secs),
        };
        DeliveryDefaults::batching(self.batch_size(), DEFAULT_MAX_BYTES, linger)
    }

    fn validate(&self, problems: &mut falconer_core::Problems) {
        self.endpointtype.check("endpointtype", problems);
        let host = self.endpointhost.trim();
        if host.is_empty() || host.contains(char::is_whitespace) {
            problems.push(
                "endpointhost",
                format!("{:?} is not a host name or URL", self.endpointhost),
            );
        }
        if self.metricname.trim().is_empty() {
            problems.push("metricname", "must not be empty");
        }
        match self.endpointtype.value() {
            Some(EndpointType::Direct) => {
                if self.endpointtoken.is_empty() {
                    problems.push("endpointtoken", "is required with endpointtype: direct");
                }
                if http_url(&self.report_url()).is_err() {
                    problems.push(
                        "endpointhost",
                        format!("{:?} does not make an https URL", self.endpointhost),
                    );
                }
            }
            Some(EndpointType::Proxy) => {
                if host.contains('/') {
                    problems.push(
                        "endpointhost",
                        "a proxy is a host name or address (the port goes in endpointmetricport)",
                    );
                }
                if self.port().is_none() {
                    problems.push(
                        "endpointmetricport",
                        format!("{} is not a port number (1-65535)", self.endpointmetricport),
                    );
                }
            }
            None => {}
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let sink = match self.endpointtype.value() {
            Some(EndpointType::Direct) => {
                let url = http_url(&self.report_url()).map_err(|e| BuildError::new(&cx.path, e))?;
                let mut options = TargetOptions {
                    content_type: Some("application/octet-stream".into()),
                    gzip: true,
                    ..TargetOptions::default()
                };
                options.headers.push((
                    "Authorization".into(),
                    format!("Bearer {}", self.endpointtoken.expose()),
                ));
                WavefrontSink::Direct(post_target(&cx, &self.tls.http(), url, &options)?)
            }
            Some(EndpointType::Proxy) => {
                let port = self.port().ok_or_else(|| {
                    BuildError::new(&cx.path, "endpointmetricport is not a port number")
                })?;
                let transport = Transport::new(
                    self.endpointhost.trim().to_owned(),
                    port,
                    Protocol::Tcp,
                    None,
                )
                .map_err(|e| BuildError::new(&cx.path, e))?;
                WavefrontSink::Proxy(transport)
            }
            None => {
                return Err(BuildError::new(
                    &cx.path,
                    EndpointType::problem(self.endpointtype.as_str()),
                ))
            }
        };
        Ok(Arc::new(Wavefront::new(self.metricname, sink)))
    }
}

#[cfg(test)]
mod tests {
    use super::WavefrontConfig;
    use serde_json::json;

    fn flush(settings: serde_json::Value) -> i64 {
        falconer_config::from_value::<WavefrontConfig>(settings)
            .expect("valid wavefront settings")
            .flush_interval_seconds()
    }

    /// falcosidekick accepts both spellings in one config and uses the correct one; the
    /// misspelt key alone is read too, as Falconer always did.
    #[test]
    fn the_misspelt_flush_interval_key_is_read_unless_the_correct_one_is_set() {
        let base = json!({"endpointtype": "direct", "endpointhost": "h"});
        assert_eq!(flush(base.clone()), 1);
        let mut both = base.clone();
        both["flushintervalseconds"] = json!(5);
        both["flushintervalsecods"] = json!(7);
        assert_eq!(flush(both), 5);
        let mut misspelt = base;
        misspelt["flushintervalsecods"] = json!("7");
        assert_eq!(flush(misspelt), 7);
    }
}
