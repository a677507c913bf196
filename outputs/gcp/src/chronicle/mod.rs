//! The `gcpchronicle` kind: Google Security Operations (Chronicle) `logs:import` of
//! unstructured logs, each log's `data` the payload JSON (base64), as falcosidekick sends
//! it; a batch is one request of several logs.

mod config;
mod encode;
mod output;

pub use config::ChronicleConfig;
pub use encode::import_body;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<ChronicleConfig>();
