//! SumoLogic output: alerts go to a hosted collector's HTTP source (`POST {receiverurl}`),
//! one payload JSON line per alert, with `X-Sumo-Category`, `X-Sumo-Host` and `X-Sumo-Name`
//! when set.
//!
//! falcosidekick posts one alert per request; Falconer batches (an HTTP source splits a body
//! into one message per line), and a batch of one is falcosidekick's request byte for byte.

mod config;
mod output;
#[cfg(test)]
mod tests;

pub use config::SumoLogicConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<SumoLogicConfig>();
