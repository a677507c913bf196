//! TimescaleDB output, falcosidekick's `timescaledb` block, which works on any PostgreSQL:
//! each alert becomes one row of the columns falcosidekick writes (`time`, `rule`,
//! `priority`, `source`, `output`, `tags`, `hostname` and one per custom or templated field).
//! A batch is one prepared `INSERT … SELECT * FROM UNNEST(…)` on a pooled connection
//! (deadpool). Connections are opened on demand, so Falconer starts while the database is
//! down; a missing table is created (and made a hypertable when the `timescaledb` extension
//! is installed).

mod config;
mod output;
pub mod rows;

pub use config::TimescaleDbConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<TimescaleDbConfig>();
