//! The `gcpcloudfunctions` kind: `projects.locations.functions.call` on the Cloud Functions
//! REST API with `data` = the payload JSON, as falcosidekick calls the function through
//! Google's client; one call per alert.

mod config;
mod output;

pub use config::CloudFunctionsConfig;
pub use output::call_body;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<CloudFunctionsConfig>();
