//! The `logstash` block: falcosidekick's keys (`address`, `port`, `tls`, `mutualtls`,
//! `checkcert`, `certfile`, `keyfile`, `cacertfile`, `tags`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use falconer_config::MutualTlsFiles;
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use serde::Deserialize;

use super::output::Logstash;
use crate::transport::{Protocol, Transport};

/// Alerts written together at most: whatever is queued when the connection is free goes out
/// in one write (there is no linger, so nothing waits).
pub const DEFAULT_MAX_EVENTS: usize = 100;
/// Payload bytes written together at most.
pub const DEFAULT_MAX_BYTES: usize = 256 << 10;

/// Configuration of one logstash instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogstashConfig {
    /// Host name or IP address of Logstash's `tcp` input.
    pub address: String,
    /// Port of the `tcp` input. Default 5044.
    #[serde(default = "default_port")]
    pub port: u32,
    /// Connect with TLS.
    #[serde(default)]
    pub tls: bool,
    /// Present a client certificate (`certfile`/`keyfile`, else `mutualtlsclient.*` /
    /// `mutualtlsfilespath`) and verify Logstash against `cacertfile` (else the mutual-TLS
    /// CA) and the system roots. Implies TLS.
    #[serde(default)]
    pub mutualtls: bool,
    /// Verify Logstash's certificate (system roots plus `cacertfile`, else
    /// `tlsclient.cacertfile`). Default false, as falcosidekick: the certificate is then not
    /// checked, which is logged at start. Ignored with `mutualtls`, which always verifies.
    #[serde(default)]
    pub checkcert: bool,
    /// Client certificate (PEM) for `mutualtls`.
    #[serde(default)]
    pub certfile: String,
    /// Client key (PEM) for `mutualtls`.
    #[serde(default)]
    pub keyfile: String,
    /// CA certificate (PEM) Logstash's certificate is checked against.
    #[serde(default)]
    pub cacertfile: String,
    /// Tags appended to each alert's tags (a YAML list or a comma list; empty items are
    /// skipped).
    #[serde(default)]
    pub tags: Vec<String>,
}

fn default_port() -> u32 {
    5044
}

impl LogstashConfig {
    /// The port, when it is one.
    fn port(&self) -> Option<u16> {
        u16::try_from(self.port).ok().filter(|p| *p > 0)
    }

    /// The client certificate, key and CA of `mutualtls`: the block's files where set, the
    /// global mutual-TLS files otherwise.
    fn mutual_tls_files(&self, global: MutualTlsFiles) -> MutualTlsFiles {
        let pick = |explicit: &str, fallback: PathBuf| {
            if explicit.is_empty() {
                fallback
            } else {
                PathBuf::from(explicit)
            }
        };
        MutualTlsFiles {
            cert: pick(&self.certfile, global.cert),
            key: pick(&self.keyfile, global.key),
            ca: pick(&self.cacertfile, global.ca),
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for LogstashConfig {
    const KIND: &'static str = "logstash";
    const BLOCK: &'static str = "logstash";
    const ENABLED_BY: &'static [&'static str] = &["address"];
    const DESTINATION: &'static str = "logstash";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, Duration::ZERO);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        let address = self.address.trim();
        if address.is_empty() || address.contains(char::is_whitespace) || address.contains('/') {
            problems.push(
                "address",
                format!(
                    "{:?} is not a host name or address (the port goes in `port`)",
                    self.address
                ),
            );
        }
        if self.port().is_none() {
            problems.push(
                "port",
                format!("{} is not a port number (1-65535)", self.port),
            );
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let port = self
            .port()
            .ok_or_else(|| BuildError::new(&cx.path, format!("port {} is invalid", self.port)))?;
        let tls = if self.mutualtls {
            let files = self.mutual_tls_files(cx.global.mutual_tls_files());
            Some(
                falconer_tls::client_config_with_files(true, "", Some(&files))
                    .map_err(|e| BuildError::new(&cx.path, e))?,
            )
        } else if self.tls {
            if !self.checkcert {
                tracing::warn!(
                    output = %cx.name,
                    "checkcert is false (falcosidekick's default for logstash): this output does not verify Logstash's TLS certificate."
                );
            }
            let ca = if self.cacertfile.is_empty() {
                cx.global.tlsclient.cacertfile.as_str()
            } else {
                self.cacertfile.as_str()
            };
            Some(
                falconer_tls::client_config_with_files(self.checkcert, ca, None)
                    .map_err(|e| BuildError::new(&cx.path, e))?,
            )
        } else {
            None
        };
        let protocol = if tls.is_some() {
            Protocol::Tls
        } else {
            Protocol::Tcp
        };
        let transport = Transport::new(self.address.trim().to_owned(), port, protocol, tls)
            .map_err(|e| BuildError::new(&cx.path, e))?;
        let tags = self
            .tags
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Arc::new(Logstash::new(tags, transport)))
    }
}
