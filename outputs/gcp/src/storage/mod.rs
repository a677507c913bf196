//! The `gcpstorage` kind: each alert's payload JSON uploaded as one Cloud Storage object
//! `<prefix>/<YYYY-MM-DD>/<RFC3339Nano>.json` (the time of the upload, as falcosidekick
//! names it), through the JSON API's media upload.

mod config;
mod output;

pub use config::StorageConfig;
pub use output::object_name;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<StorageConfig>();
