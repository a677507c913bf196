//! Redis output, falcosidekick's `redis` block: the alert's payload JSON appended to a list
//! (`RPUSH key payload`) or stored in a hash under its UUID (`HSET key uuid payload`). A batch
//! is one command with many values; the connection is kept and re-established by redis-rs's
//! connection manager (created on first use, so Falconer starts while Redis is down).

mod config;
mod output;

pub use config::RedisConfig;
pub use output::Storage;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<RedisConfig>();
