//! Loki output: alerts go to Loki's push API (`POST {hostport}{endpoint}`) as JSON streams,
//! labelled exactly as falcosidekick labels them (`rule`, `source`, `priority`, `k8s_ns_name`,
//! `k8s_pod_name`, string custom/templated/extra fields, `hostname`, `tags`).
//!
//! Unlike falcosidekick (one push per alert), alerts are batched by the core: one push carries
//! many alerts, grouped into one stream per label set, gzipped. A label allow-list
//! (`labels`) keeps high-cardinality values out of Loki's index; what it leaves out stays in
//! the line (`format: json`) or travels as structured metadata (`structuredmetadata: true`).

mod config;
mod encode;
mod output;
#[cfg(test)]
mod tests;

pub use config::{LineFormat, LokiConfig};
pub use encode::{label_name, LokiEncoder};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<LokiConfig>();
