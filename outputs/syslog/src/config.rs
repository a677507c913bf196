//! The `syslog` block: falcosidekick's keys (`host`, `port`, `protocol`, `format`) plus
//! Falconer's `rfc`, `framing`, `facility`, `tls`, `checkcert` and `mutualtls`.

use std::sync::Arc;
use std::time::Duration;

use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use serde::Deserialize;

use crate::encode::SyslogEncoder;
use crate::output::Syslog;

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
    pub protocol: String,
    /// `json` (the payload JSON, default) or `cef`.
    #[serde(default = "default_format")]
    pub format: String,
    /// Falconer: `3164` (Go's `log/syslog` format, as falcosidekick; default) or `5424`.
    #[serde(default = "default_rfc")]
    pub rfc: String,
    /// Falconer: on TCP and TLS, `newline` (each message ends with `\n`, default) or `octet`
    /// (RFC 6587 octet counting: `LEN SP MSG`).
    #[serde(default = "default_framing")]
    pub framing: String,
    /// Falconer: the facility, by name (`kern`, `user`, `daemon`, `auth`, `local0`…`local7`)
    /// or number 0–23. Default `kern` (0), as falcosidekick.
    #[serde(default = "default_facility")]
    pub facility: String,
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

fn default_format() -> String {
    "json".into()
}

fn default_rfc() -> String {
    "3164".into()
}

fn default_framing() -> String {
    "newline".into()
}

fn default_facility() -> String {
    "kern".into()
}

fn default_true() -> bool {
    true
}

/// How messages travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// One datagram per message.
    Udp,
    /// A TCP stream.
    Tcp,
    /// A TCP stream inside TLS.
    Tls,
}

/// What the message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The payload JSON.
    Json,
    /// falcosidekick's CEF line.
    Cef,
}

/// The syslog header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rfc {
    /// Go `log/syslog`'s BSD-style header: `<PRI>RFC3339-TIMESTAMP HOST TAG[PID]: `.
    Rfc3164,
    /// `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD `.
    Rfc5424,
}

/// How messages are delimited on a stream (TCP, TLS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// Each message ends with `\n` (RFC 6587 non-transparent framing).
    Newline,
    /// `LEN SP MSG` (RFC 6587 octet counting).
    Octet,
}

/// A syslog facility (0–23).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Facility(pub u8);

const FACILITIES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];

impl Facility {
    /// Parses a facility name or number.
    pub fn parse(value: &str) -> Option<Facility> {
        let v = value.trim().to_ascii_lowercase();
        if let Ok(n) = v.parse::<u8>() {
            return (n < 24).then_some(Facility(n));
        }
        FACILITIES
            .iter()
            .position(|f| *f == v)
            .and_then(|n| u8::try_from(n).ok())
            .map(Facility)
    }
}

/// The settings, checked and typed.
#[derive(Clone, Debug)]
pub(crate) struct Parsed {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) protocol: Protocol,
    pub(crate) format: Format,
    pub(crate) rfc: Rfc,
    pub(crate) framing: Framing,
    pub(crate) facility: Facility,
}

impl SyslogConfig {
    fn protocol(&self) -> Result<Protocol, String> {
        let p = match self.protocol.trim().to_ascii_lowercase().as_str() {
            "udp" => Protocol::Udp,
            "tcp" => Protocol::Tcp,
            "tls" => Protocol::Tls,
            "" => {
                return Err(
                    "is required: udp, tcp or tls (falcosidekick silently disables \
                            the output without it)"
                        .into(),
                )
            }
            other => return Err(format!("{other:?} is not udp, tcp or tls")),
        };
        match (p, self.tls) {
            (Protocol::Udp, true) => Err("udp cannot be used with tls: true".into()),
            (Protocol::Tcp, true) => Ok(Protocol::Tls),
            (p, _) => Ok(p),
        }
    }

    /// Every setting checked; the problems with their keys otherwise.
    pub(crate) fn parse(&self) -> Result<Parsed, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let mut problem = |key: &str, message: String| problems.push((key.to_owned(), message));
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
        let format = match self.format.trim().to_ascii_lowercase().as_str() {
            "" | "json" => Some(Format::Json),
            "cef" => Some(Format::Cef),
            other => {
                problem("format", format!("{other:?} is not json or cef"));
                None
            }
        };
        let rfc = match self
            .rfc
            .trim()
            .to_ascii_lowercase()
            .trim_start_matches("rfc")
        {
            "" | "3164" => Some(Rfc::Rfc3164),
            "5424" => Some(Rfc::Rfc5424),
            other => {
                problem("rfc", format!("{other:?} is not 3164 or 5424"));
                None
            }
        };
        let framing = match self.framing.trim().to_ascii_lowercase().as_str() {
            "" | "newline" => Some(Framing::Newline),
            "octet" | "octet-counting" => {
                if protocol == Some(Protocol::Udp) {
                    problem(
                        "framing",
                        "octet counting is for tcp and tls; udp sends one message per datagram"
                            .into(),
                    );
                }
                Some(Framing::Octet)
            }
            other => {
                problem("framing", format!("{other:?} is not newline or octet"));
                None
            }
        };
        let facility = Facility::parse(&self.facility);
        if facility.is_none() {
            problem(
                "facility",
                format!("{:?} is not a facility name or number 0-23", self.facility),
            );
        }
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

    fn validate(&self, problems: &mut Vec<(String, String)>) {
        if let Err(p) = self.parse() {
            problems.extend(p);
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let parsed = self.parse().map_err(|p| {
            let text: Vec<String> = p.iter().map(|(k, m)| format!("{k}: {m}")).collect();
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
