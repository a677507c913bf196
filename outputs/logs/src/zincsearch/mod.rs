//! ZincSearch output: one alert goes to `POST {hostport}/api/{index}/_doc` exactly as
//! falcosidekick sends it; a batch of several goes to `POST {hostport}/api/{index}/_multi` as
//! newline-delimited payload JSON (one document per line). Basic auth when `username` and
//! `password` are set.

mod config;
mod output;
#[cfg(test)]
mod tests;

pub use config::ZincSearchConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<ZincSearchConfig>();
