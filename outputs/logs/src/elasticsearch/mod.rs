//! Elasticsearch / OpenSearch output: each alert becomes a document (falcosidekick's payload
//! JSON plus `@timestamp`) in `<index>-<suffix>`, the suffix computed from the alert's own
//! time (UTC), so an alert retried after midnight still lands in its day's index.
//!
//! By default alerts go in `_bulk` requests (`batching.enabled: false` sends one
//! `POST /<index>/<type>` per alert, as falcosidekick does by default). Bulk answers are read
//! item by item: only failed items are retried, mapping conflicts are sent once more without
//! the offending field, then dead-lettered.

mod bulk;
mod config;
mod encode;
mod output;
#[cfg(test)]
mod tests;

pub use config::{BatchingSettings, ElasticsearchConfig};
pub use encode::{index_template, DocEncoder, Suffix};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<ElasticsearchConfig>();
