//! The `syslog` block: falcosidekick's keys (`host`, `port`, `protocol`, `format`) plus
//! Falconer's `rfc`, `framing`, `facility`, `tls`, `checkcert` and `mutualtls`.

use std::sync::Arc;
use std::time::Duration;

use falconer_core::{
    BuildContext, BuildError, Choice, Choices, DeliveryDefaults, Output, OutputConfig,
};
use serde::Deserialize;

use crate::syslog::encode::SyslogEncoder;
use crate::syslog::output::Syslog;
use crate::syslog::settings::{Facility, Format, Framing, Parsed, Protocol, Rfc};

/// Alerts written together at most: whatever is queued when the connection is free goes out
/// in one write (there is no linger, so nothing waits).
pub const DEFAULT_MAX_EVENTS: usize = 100;
/// Payload bytes written together at most.
pub const DEFAULT_MAX_BYTES: usize = 256 << 10;

/// Configuration of one syslog instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogConfig {
    /// Host name or IP address of the syslog receiver.
    pub host: String,
    /// Port (a string in falcosidekick; a number works too). Empty: 514, or 6514 with TLS.
    #[serde(default)]
    pub port: String,
    /// `udp`, `tcp` or (Falconer) `tls`. Required, as in falcosidekick.
    #[serde(default)]
    pub protocol: Choice<Protocol>,
    /// `json` (the payload JSON, default) or `cef`.
    #[serde(default = "default_format")]
    pub format: Choice<Format>,
    /// Falconer: `3164` (Go's `log/syslog` format, as falcosidekick; default) or `5424`.
    #[serde(default = "default_rfc")]
    pub rfc: Choice<Rfc>,
    /// Falconer: on TCP and TLS, `newline` (each message ends with `\n`, default) or `octet`
    /// (RFC 6587 octet counting: `LEN SP MSG`).
    #[serde(default = "default_framing")]
    pub framing: Choice<Framing>,
    /// Falconer: the facility, by name (`kern`, `user`, `daemon`, `auth`, `local0`…`local7`)
    /// or number 0–23. Default `kern` (0), as falcosidekick.
    #[serde(default = "default_facility")]
    pub facility: Choice<Facility>,
    /// Falconer: TCP with TLS (same as `protocol: tls`).
    #[serde(default)]
    pub tls: bool,
    /// Falconer: verify the receiver's certificate (system roots plus `tlsclient.cacertfile`).
    /// `false` must be explicit and is logged.
    #[serde(default = "default_true")]
    pub checkcert: bool,
    /// Falconer: present the client certificate of `mutualtlsclient.*` /
    /// `mutualtlsfilespath` and trust its CA; the receiver is then always verified.
    #[serde(default)]
    pub mutualtls: bool,
}

fn default_format() -> Choice<Format> {
    Choice::new("json")
}

fn default_rfc() -> Choice<Rfc> {
    Choice::new("3164")
}

fn default_framing() -> Choice<Framing> {
    Choice::new("newline")
}

fn default_facility() -> Choice<Facility> {
    Choice::new("kern")
}

fn default_true() -> bool {
    true
}

impl SyslogConfig {
    fn protocol(&self) -> Result<Protocol, String> {
        let Some(p) = self.protocol.value() else {
            return Err(Protocol::problem(self.protocol.as_str()));
        };
        match (p, self.tls) {
            (Protocol::Udp, true) => Err("udp cannot be used with tls: true".into()),
            (Protocol::Tcp, true) => Ok(Protocol::Tls),
            (p, _) => Ok(p),
        }
    }

    /// Every setting checked; the problems with their keys otherwise.
    pub(crate) fn parse(&self) -> Result<Parsed, falconer_core::Problems> {
        let mut problems = falconer_core::Problems::default();
        let mut problem = |key: &str, message: String| problems.push(key.to_owned(), message);
        let host = self.host.trim();
        if host.is_empty() || host.contains(char::is_whitespace) {
            problem(
                "host",
                format!("{:?} is not a host name or address", self.host),
            );
        }
        let protocol = self.protocol().map_err(|e| problem("protocol", e)).ok();
        let port = match self.port.trim() {
            "" => Some(if protocol == Some(Protocol::Tls) {
                6514
            } else {
                514
            }),
            p => match p.parse::<u16>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    problem("port", format!("{p:?} is not a port number (1-65535)"));
                    None
                }
            },
        };
        let mut choice = |key: &str, problem: Option<String>| {
            if let Some(message) = problem {
                problems.push(key.to_owned(), message);
            }
        };
        let format = self.format.value();
        choice(
            "format",
            format
                .is_none()
                .then(|| Format::problem(self.format.as_str())),
        );
        let rfc = self.rfc.value();
        choice(
            "rfc",
            rfc.is_none().then(|| Rfc::problem(self.rfc.as_str())),
        );
        let framing = self.framing.value();
        choice(
            "framing",
            match framing {
                None => Some(Framing::problem(self.framing.as_str())),
                Some(Framing::Octet) if protocol == Some(Protocol::Udp) => Some(
                    "octet counting is for tcp and tls; udp sends one message per datagram".into(),
                ),
                Some(_) => None,
            },
        );
        let facility = self.facility.value();
        choice(
            "facility",
            facility
                .is_none()
                .then(|| Facility::problem(self.facility.as_str())),
        );
        match (protocol, port, format, rfc, framing, facility) {
            (
                Some(protocol),
                Some(port),
                Some(format),
                Some(rfc),
                Some(framing),
                Some(facility),
            ) if problems.is_empty() => Ok(Parsed {
                host: host.to_owned(),
                port,
                protocol,
                format,
                rfc,
                framing,
                facility,
            }),
            _ => Err(problems),
        }
    }
}

/// The local host name, as Go's `os.Hostname` gives it (`localhost` when unknown).
fn local_hostname() -> String {
    hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

#[async_trait::async_trait]
impl OutputConfig for SyslogConfig {
    const KIND: &'static str = "syslog";
    const BLOCK: &'static str = "syslog";
    const ENABLED_BY: &'static [&'static str] = &["host"];
    const DESTINATION: &'static str = "syslog";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, Duration::ZERO);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if let Err(p) = self.parse() {
            problems.extend_under("", p);
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let parsed = self.parse().map_err(|p| {
            let text: Vec<String> = p.0.iter().map(ToString::to_string).collect();
            BuildError::new(&cx.path, text.join("; "))
        })?;
        let tls = if parsed.protocol == Protocol::Tls {
            let config = falconer_tls::client_config(&cx.global, self.checkcert, self.mutualtls)
                .map_err(|e| BuildError::new(&cx.path, e))?;
            if !self.checkcert && !self.mutualtls {
                tracing::warn!(
                    output = %cx.name,
                    "checkcert is false: this syslog output does not verify the receiver's TLS certificate."
                );
            }
            Some(config)
        } else {
            None
        };
        let encoder = SyslogEncoder {
            rfc: parsed.rfc,
            format: parsed.format,
            facility: parsed.facility,
            hostname: local_hostname(),
            pid: std::process::id(),
        };
        let transport = crate::transport::Transport::new(
            parsed.host.clone(),
            parsed.port,
            parsed.protocol,
            tls,
        )
        .map_err(|e| BuildError::new(&cx.path, e))?;
        Ok(Arc::new(Syslog::new(encoder, parsed, transport)))
    }
}
