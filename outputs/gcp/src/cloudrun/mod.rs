//! The `gcpcloudrun` kind: the payload JSON posted to a Cloud Run service (or any HTTPS
//! endpoint), `Authorization: Bearer <jwt>`, one request per alert, as falcosidekick sends
//! it.

mod config;
mod output;

pub use config::CloudRunConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<CloudRunConfig>();
