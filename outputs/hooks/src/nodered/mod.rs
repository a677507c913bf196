//! Node-RED output: each alert's payload JSON is posted to an `http in` node
//! (<https://nodered.org/docs/user-guide/nodes#http-in>), exactly as falcosidekick sends it,
//! with basic auth when `user` and `password` are both set, then `customheaders`.

mod config;
#[cfg(test)]
mod tests;

pub use config::NoderedConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<NoderedConfig>();
