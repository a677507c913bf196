//! The syslog output against strict loopback receivers (one test binary): plain UDP and TCP
//! ([`receive`]) and TLS ([`tls`]); [`common`] holds the receivers and parsers.

mod common;
mod receive;
mod tls;
