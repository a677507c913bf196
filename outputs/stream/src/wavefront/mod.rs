//! The `wavefront` kind: each alert as one point of the metric `falco.alert` (value 1, at the
//! alert's time in nanoseconds, source `falco-exporter`), with point tags `severity`, `rule`,
//! `source`, `hostname`, every string output field and the alert's `tags`, in Wavefront's
//! data format, as falcosidekick sends it through the Wavefront Go SDK:
//!
//! - `endpointtype: proxy`: lines on one persistent TCP connection to a Wavefront proxy's
//!   metrics port (2878);
//! - `endpointtype: direct`: `POST https://<endpointhost>/report?f=wavefront`, gzipped,
//!   `Authorization: Bearer <endpointtoken>`, a batch of lines per request.

mod config;
mod encode;
mod output;
#[cfg(test)]
mod tests;

pub use config::{EndpointType, WavefrontConfig};
pub use encode::{point_line, MAX_TAG_BYTES};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<WavefrontConfig>();
