//! Falco Talon output: each alert's payload JSON is posted to Talon's HTTP endpoint
//! (<https://docs.falco-talon.org>), which runs the actionners whose rules match, exactly as
//! falcosidekick sends it. `mutualtls` is Falconer's addition (falcosidekick honours
//! `checkcert` only).

mod config;
#[cfg(test)]
mod tests;

pub use config::TalonConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<TalonConfig>();
