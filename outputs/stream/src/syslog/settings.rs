//! The syslog settings as values: transport, message format, header, framing and facility,
//! parsed from the `syslog` block's keys, and all of them checked together ([`Parsed`]).

use falconer_core::Choices;

pub use crate::transport::Protocol;

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

impl Choices for Protocol {
    fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "udp" => Some(Protocol::Udp),
            "tcp" => Some(Protocol::Tcp),
            "tls" => Some(Protocol::Tls),
            _ => None,
        }
    }

    fn problem(raw: &str) -> String {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" => "is required: udp, tcp or tls (falcosidekick silently disables the output \
                   without it)"
                .into(),
            other => format!("{other:?} is not udp, tcp or tls"),
        }
    }
}

impl Choices for Format {
    fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "json" => Some(Format::Json),
            "cef" => Some(Format::Cef),
            _ => None,
        }
    }

    fn problem(raw: &str) -> String {
        format!("{:?} is not json or cef", raw.trim().to_ascii_lowercase())
    }
}

impl Rfc {
    fn normalized(raw: &str) -> String {
        raw.trim()
            .to_ascii_lowercase()
            .trim_start_matches("rfc")
            .to_owned()
    }
}

impl Choices for Rfc {
    fn parse(raw: &str) -> Option<Self> {
        match Rfc::normalized(raw).as_str() {
            "" | "3164" => Some(Rfc::Rfc3164),
            "5424" => Some(Rfc::Rfc5424),
            _ => None,
        }
    }

    fn problem(raw: &str) -> String {
        format!("{:?} is not 3164 or 5424", Rfc::normalized(raw))
    }
}

impl Choices for Framing {
    fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "newline" => Some(Framing::Newline),
            "octet" | "octet-counting" => Some(Framing::Octet),
            _ => None,
        }
    }

    fn problem(raw: &str) -> String {
        format!(
            "{:?} is not newline or octet",
            raw.trim().to_ascii_lowercase()
        )
    }
}

impl Choices for Facility {
    fn parse(raw: &str) -> Option<Self> {
        Facility::parse(raw)
    }

    fn problem(raw: &str) -> String {
        format!("{raw:?} is not a facility name or number 0-23")
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
