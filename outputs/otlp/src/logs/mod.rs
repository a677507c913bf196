//! The `otlplogs` kind: one log record per alert, exported over OTLP/HTTP protobuf, as
//! falcosidekick's slog bridge writes it: logger `falco`, level INFO, body the alert's
//! output, attributes `priority`, `source`, `rule`, `hostname`, `tags` (comma-joined) and
//! `timestamp` (the alert's time as Go prints a time).

mod config;
mod encode;
mod output;

pub use config::LogsConfig;
pub use encode::{export_request, go_time_string, log_record};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<LogsConfig>();
