//! The `otlpmetrics` kind: falcosidekick's OpenTelemetry counters, exported every
//! `exportinterval` over OTLP/HTTP protobuf as cumulative monotonic sums (meter
//! `falcosecurity.falco.otlpmetrics.meter`, resource `service.name=falco`,
//! `service.version=0.1.0`):
//!
//! - `falcosecurity_falco_rules_matches_total`, one point per set of attributes `source`,
//!   `priority`, `rule`, `hostname`, `tags`, and each custom field and `extraattributes`
//!   output field: counted from the alerts this output receives;
//! - `falcosecurity_falcosidekick_inputs` {`source`, `status`} and
//!   `falcosecurity_falcosidekick_outputs` {`destination`, `status`}: the values of the
//!   counters `/metrics` shows.
//!
//! Cumulative sums carry their totals: an export that fails loses nothing, the next one
//! carries the counts too.

mod config;
mod encode;
mod output;

pub use config::MetricsConfig;
pub use encode::{export_request, MatchKey, METER};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<MetricsConfig>();
