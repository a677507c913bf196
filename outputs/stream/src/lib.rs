//! The stream outputs: each alert as one message on one persistent UDP, TCP or TLS
//! connection (the shared [`transport`]), one module and one Cargo feature per kind:
//! - [`syslog`]: RFC 3164 (Go's `log/syslog`, as falcosidekick) or RFC 5424 messages, JSON
//!   or CEF, over UDP, TCP or TLS;
//! - [`logstash`]: JSON lines to Logstash's `tcp` input, over TCP or TLS;
//! - [`wavefront`]: one metric point per alert to a Wavefront proxy over TCP, or to the
//!   Wavefront API over HTTPS (`endpointtype: direct`);
//! - [`statsd`]: falcosidekick's event, request and delivery counts as StatsD or DogStatsD
//!   lines over UDP.
//!
//! [`register`] adds the kinds this build enables.

#[cfg(feature = "logstash")]
pub mod logstash;
#[cfg(any(feature = "statsd", feature = "dogstatsd"))]
pub mod statsd;
#[cfg(feature = "syslog")]
pub mod syslog;
#[cfg(any(
    feature = "syslog",
    feature = "logstash",
    feature = "wavefront",
    feature = "statsd",
    feature = "dogstatsd"
))]
mod transport;
#[cfg(feature = "wavefront")]
pub mod wavefront;

/// Adds the stream kinds enabled by this crate's features to `registry`.
pub fn register(registry: &mut falconer_core::Registry) {
    // Without any kind feature there is nothing to add.
    let _ = &registry;
    #[cfg(feature = "syslog")]
    registry.insert(syslog::KIND);
    #[cfg(feature = "logstash")]
    registry.insert(logstash::KIND);
    #[cfg(feature = "wavefront")]
    registry.insert(wavefront::KIND);
    #[cfg(feature = "statsd")]
    registry.insert(statsd::KIND);
    #[cfg(feature = "dogstatsd")]
    registry.insert(statsd::DOGSTATSD_KIND);
}
