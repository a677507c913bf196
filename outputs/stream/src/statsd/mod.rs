//! The `statsd` and `dogstatsd` kinds: falcosidekick's metrics about events, as UDP count
//! lines to a StatsD or DogStatsD agent:
//!
//! - for each alert, `<namespace>falco.accepted` tagged `priority:<Priority>`;
//! - every `flushinterval`, what Falconer counted since the last push: accepted and refused
//!   requests (`inputs.requests.accepted`, `inputs.requests.rejected`) and each output's
//!   deliveries (`outputs` tagged `output:<destination>` and `status:ok|error`), read from the
//!   same counters as `/metrics`.
//!
//! StatsD has no tags: their values are appended to the name, as falcosidekick does
//! (`falcosidekick.falco.accepted.Warning`, `falcosidekick.outputs.slack.ok`). DogStatsD sends
//! real tags (`|#priority:Warning`), after the block's own `tags`.

mod config;
mod encode;
mod mirror;
mod output;

#[cfg(feature = "dogstatsd")]
pub use config::DogstatsdConfig;
#[cfg(feature = "statsd")]
pub use config::StatsdConfig;
pub use encode::{count_line, datagrams, Flavor, MAX_DATAGRAM_BYTES};
pub use mirror::Mirror;

/// The registry entry of `statsd`.
#[cfg(feature = "statsd")]
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<StatsdConfig>();

/// The registry entry of `dogstatsd`.
#[cfg(feature = "dogstatsd")]
pub const DOGSTATSD_KIND: falconer_core::OutputKind =
    falconer_core::OutputKind::of::<DogstatsdConfig>();
