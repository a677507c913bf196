//! Quickwit output: alerts go to Quickwit's ingest API (`POST
//! {hostport}/{apiendpoint}/{index}/ingest`) as NDJSON, one payload JSON line per alert.
//!
//! falcosidekick posts one alert per request; Falconer batches (the ingest API takes many
//! documents per request), and a batch of one is falcosidekick's request byte for byte. With
//! `autocreateindex`, the index is created at startup with falcosidekick's doc mapping when
//! it does not exist yet.

mod config;
mod index;
mod output;
#[cfg(test)]
mod tests;

pub use config::QuickwitConfig;
pub use index::index_config;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<QuickwitConfig>();
