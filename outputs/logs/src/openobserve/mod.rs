//! OpenObserve output: alerts go to the multi-record ingest API (`POST
//! {hostport}/api/{organizationname}/{streamname}/_multi`) as newline-delimited payload JSON,
//! with basic auth when `username` and `password` are set.
//!
//! falcosidekick posts one alert per request to the same endpoint; Falconer batches (`_multi`
//! takes many records per request), and a batch of one is falcosidekick's request byte for
//! byte. OpenObserve answers 200 even when it drops records; Falconer reads the answer and
//! turns dropped records into dead letters instead of counting them as delivered.

mod config;
mod output;
#[cfg(test)]
mod tests;

pub use config::OpenObserveConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<OpenObserveConfig>();
