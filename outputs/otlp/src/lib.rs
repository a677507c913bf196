//! The OpenTelemetry outputs, one module and one Cargo feature per kind, exported over
//! OTLP/HTTP protobuf (the `opentelemetry-proto` message types, sent by Falconer's HTTP
//! client so the core's retries, batching and dead letters apply):
//! - [`traces`]: one span per syscall alert, in the trace of its pod or container;
//! - [`logs`]: one log record per alert;
//! - [`metrics`]: falcosidekick's counters (rule matches, requests, deliveries), exported
//!   periodically as cumulative sums.
//!
//! [`common`] holds the shared keys' checks and builders. [`register`] adds the kinds this
//! build enables.

pub mod common;
#[cfg(feature = "otlplogs")]
pub mod logs;
#[cfg(feature = "otlpmetrics")]
pub mod metrics;
#[cfg(feature = "otlptraces")]
pub mod traces;

/// Adds the OTLP kinds enabled by this crate's features to `registry`.
pub fn register(registry: &mut falconer_core::Registry) {
    // Without any kind feature there is nothing to add.
    let _ = &registry;
    #[cfg(feature = "otlptraces")]
    registry.insert(traces::KIND);
    #[cfg(feature = "otlplogs")]
    registry.insert(logs::KIND);
    #[cfg(feature = "otlpmetrics")]
    registry.insert(metrics::KIND);
}
