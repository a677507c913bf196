//! Alertmanager output: alerts go to Alertmanager's API v2 (`POST {hostport}{endpoint}`,
//! default endpoint `/api/v2/alerts`) as falcosidekick builds them: labels from the output
//! fields (names sanitised), `source`, `rule`, `alertname`, `eventsource`, `hostname`, `tags`,
//! `priority` and `severity`, then `extralabels`; annotations `info`, `description`, `summary`,
//! then `extraannotations`; `endsAt` from `expiresafter`. Syscall-drop alerts (`n_drop*`
//! fields) are bucketed by `dropeventthresholds` and raise the priority.
//!
//! Unlike falcosidekick (one alert per request), alerts are batched: the API takes an array,
//! and a batch of one is falcosidekick's body byte for byte.
//!
//! Several `hostport`s (an HA cluster) each receive every batch, concurrently. Alertmanager
//! peers gossip silences and the notification log, not alerts, so an alert must reach at
//! least one of them to be notified. An attempt succeeds when at least one Alertmanager
//! accepted the batch (the failures of the others are logged); with `requireallhosts: true` it
//! succeeds only when every one did, and otherwise the batch is retried on all of them
//! (re-posting an alert is idempotent: Alertmanager merges alerts by their label set).

mod config;
mod encode;
mod output;
#[cfg(test)]
mod tests;

pub use config::{AlertmanagerConfig, DropPriority, EncoderError, DEFAULT_DROP_THRESHOLDS};
pub use encode::{label_name, AlertmanagerEncoder};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<AlertmanagerConfig>();
