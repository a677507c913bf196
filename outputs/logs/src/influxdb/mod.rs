//! InfluxDB output: alerts as line protocol points, many per request, to InfluxDB 1.x
//! (`/write?db=`, user and password) or 2.x (`/api/v2/write?org=&bucket=`, token).
//!
//! The point is falcosidekick's (measurement `events`, tags `rule`, `priority`, `source`, the
//! string output fields, `hostname`, `tags`; field `value` = the output), but written the way
//! line protocol requires: keys and values escaped instead of spaces turned into `_`, and the
//! alert's own time as the nanosecond timestamp instead of the server's arrival time.

mod config;
mod encode;
mod output;
#[cfg(test)]
mod tests;

pub use config::InfluxDbConfig;
pub use encode::{point, Precision};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<InfluxDbConfig>();
