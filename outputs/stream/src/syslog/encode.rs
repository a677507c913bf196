//! Pure encoding of syslog messages and their framing. Messages never contain a raw newline
//! (JSON escapes them, CEF escapes or replaces them), so newline framing is unambiguous.

use std::fmt::Write as _;

use chrono::{SecondsFormat, Utc};
use falconer_event::{Alert, Priority};

use crate::syslog::cef::cef_line;
use crate::syslog::settings::{Facility, Format, Framing, Rfc};

/// The tag (RFC 3164) and APP-NAME (RFC 5424), as falcosidekick sets it.
pub const TAG: &str = "Falco";

/// The syslog severity of a priority, as falcosidekick maps it (`Emergency` → 0 `LOG_EMERG`
/// … `Debug` → 7 `LOG_DEBUG`).
pub fn severity(priority: Priority) -> u8 {
    match priority {
        Priority::Emergency => 0,
        Priority::Alert => 1,
        Priority::Critical => 2,
        Priority::Error => 3,
        Priority::Warning => 4,
        Priority::Notice => 5,
        Priority::Informational => 6,
        Priority::Debug => 7,
    }
}

/// Builds the syslog messages of one instance.
#[derive(Clone, Debug)]
pub struct SyslogEncoder {
    /// The header format.
    pub rfc: Rfc,
    /// The body format.
    pub format: Format,
    /// The facility of every message.
    pub facility: Facility,
    /// HOSTNAME: this machine's name (Go's `os.Hostname`, as falcosidekick).
    pub hostname: String,
    /// The PID in the tag / PROCID.
    pub pid: u32,
}

/// RFC 5424 `PRINTUSASCII` (33–126), at most `max` characters; `-` (NILVALUE) when empty.
fn header_field(value: &str, max: usize) -> String {
    let s: String = value
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if s.is_empty() {
        "-".into()
    } else {
        s
    }
}

impl SyslogEncoder {
    /// `<PRI>`: facility × 8 + severity.
    fn pri(&self, alert: &Alert) -> u8 {
        self.facility.0 * 8 + severity(alert.priority)
    }

    /// The message body: the payload JSON or the CEF line.
    fn body(&self, alert: &Alert, out: &mut Vec<u8>) {
        match self.format {
            Format::Json => out.extend_from_slice(alert.json_bytes()),
            Format::Cef => out.extend_from_slice(cef_line(alert).as_bytes()),
        }
    }

    /// One syslog message, without framing. The timestamp is the alert's time in UTC
    /// (falcosidekick writes the send time), so a retried alert keeps its time:
    /// RFC 3339 in seconds for 3164 (Go's `time.RFC3339`), with microseconds for 5424.
    pub fn message(&self, alert: &Alert) -> Vec<u8> {
        let mut out = Vec::with_capacity(alert.json_bytes().len() + 96);
        let time = alert.time.with_timezone(&Utc);
        let host = header_field(&self.hostname, 255);
        let mut head = String::with_capacity(96);
        match self.rfc {
            Rfc::Rfc3164 => {
                let _ = write!(
                    head,
                    "<{}>{} {host} {TAG}[{}]: ",
                    self.pri(alert),
                    time.to_rfc3339_opts(SecondsFormat::Secs, true),
                    self.pid
                );
            }
            Rfc::Rfc5424 => {
                let _ = write!(
                    head,
                    "<{}>1 {} {host} {TAG} {} - - ",
                    self.pri(alert),
                    rfc5424_time(&time),
                    self.pid
                );
            }
        }
        out.extend_from_slice(head.as_bytes());
        self.body(alert, &mut out);
        out
    }

    /// The bytes written for one alert on a stream with `framing`.
    pub fn frame(&self, alert: &Alert, framing: Framing) -> Vec<u8> {
        let message = self.message(alert);
        match framing {
            Framing::Newline => {
                let mut out = message;
                out.push(b'\n');
                out
            }
            Framing::Octet => {
                let mut out = format!("{} ", message.len()).into_bytes();
                out.extend_from_slice(&message);
                out
            }
        }
    }

    /// The datagram for one alert: RFC 3164 messages end with a newline as Go's `log/syslog`
    /// sends them; RFC 5424 ones are the message alone (RFC 5426).
    pub fn datagram(&self, alert: &Alert) -> Vec<u8> {
        match self.rfc {
            Rfc::Rfc3164 => self.frame(alert, Framing::Newline),
            Rfc::Rfc5424 => self.message(alert),
        }
    }
}

/// RFC 5424 TIMESTAMP: RFC 3339 in UTC with at most six fraction digits, trailing zeros
/// trimmed (`2024-05-14T09:21:07.41879Z`).
fn rfc5424_time(time: &chrono::DateTime<Utc>) -> String {
    let mut s = time.format("%Y-%m-%dT%H:%M:%S").to_string();
    let micros = time.timestamp_subsec_micros() % 1_000_000;
    if micros != 0 {
        let digits = format!("{micros:06}");
        s.push('.');
        s.push_str(digits.trim_end_matches('0'));
    }
    s.push('Z');
    s
}
