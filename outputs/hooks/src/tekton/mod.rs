//! Tekton output: each alert's payload JSON is posted to a Tekton Triggers EventListener
//! (<https://tekton.dev/docs/triggers/eventlisteners/>), exactly as falcosidekick sends it.
//! `mutualtls` is Falconer's addition.

mod config;
#[cfg(test)]
mod tests;

pub use config::TektonConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<TektonConfig>();
