//! The `syslog` kind: each alert becomes one syslog message, severity from its priority, tag
//! `Falco`, sent over UDP, TCP or TLS on one persistent connection (falcosidekick dials once per
//! alert and never closes).
//!
//! - `rfc: 3164` (default) is what falcosidekick sends through Go's `log/syslog`:
//!   `<PRI>2006-01-02T15:04:05Z host Falco[pid]: MSG` and a newline. `rfc: 5424` sends
//!   `<PRI>1 TIMESTAMP HOST Falco PID - - MSG`.
//! - `format: json` (default) sends the payload JSON; `format: cef` sends falcosidekick's CEF
//!   line, escaped as the CEF specification requires.
//! - On TCP and TLS frames end with a newline (`framing: newline`, default) or are
//!   octet-counted (`framing: octet`, RFC 6587).
//!
//! A connection the receiver closed is noticed before the next write and replaced; a failed
//! write drops the connection and fails the attempt as a connection error, so the core retries
//! the batch on a fresh connection.

mod cef;
mod config;
mod encode;
mod output;
mod settings;
#[cfg(test)]
mod tests;

pub use cef::{cef_line, cef_severity, escape_extension, escape_header};
pub use config::SyslogConfig;
pub use encode::{severity, SyslogEncoder};
pub use settings::{Facility, Format, Framing, Protocol, Rfc};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<SyslogConfig>();
