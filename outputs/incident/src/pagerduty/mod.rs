//! PagerDuty output: each alert becomes an Events API v2 `trigger` event
//! (`POST https://events.pagerduty.com/v2/enqueue`, or `events.eu.pagerduty.com` with
//! `region: eu`) in the shape falcosidekick sends through go-pagerduty: `routing_key`,
//! `event_action`, and `payload` with `summary` (the output), `source` `falco`, `severity`,
//! `timestamp` (RFC 3339) and `custom_details` (the output fields and `hostname`).
//!
//! It fixes falcosidekick's gaps (reference §10.8): `region: eu` is honoured; `severity`
//! follows the priority (`critical`, `error`, `warning`, `info`) instead of always
//! `critical`; `custom_details` also carries `rule`, `priority`, `source` and `tags`; and a
//! `dedupkey` Go template (parsed at startup) sets `dedup_key`, so repeats of one problem
//! update one incident.

mod config;
mod encode;
mod output;
#[cfg(test)]
mod tests;

pub use config::{PagerDutyConfig, EU_EVENTS_API, US_EVENTS_API};
pub use encode::{pagerduty_severity, PagerDutyEncoder, MAX_DEDUP_KEY, MAX_SUMMARY};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<PagerDutyConfig>();
