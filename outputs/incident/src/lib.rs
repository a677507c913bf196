//! The incident and on-call outputs, one module and one Cargo feature per kind:
//! - [`alertmanager`]: API v2 alerts (falcosidekick's labels and annotations), batched, sent
//!   to every Alertmanager of an HA cluster;
//! - [`opsgenie`]: one alert per Falco alert (Alert API v2, US or EU), GenieKey auth,
//!   priority P1-P5 and a details map;
//! - [`pagerduty`]: Events API v2 trigger events with the region honoured, severity by
//!   priority, rule/priority/tags in `custom_details` and a templated `dedup_key`;
//! - [`grafanaoncall`]: one alert per Falco alert to a formatted-webhook integration
//!   (`alert_uid`, `state`, `title`, `message`);
//! - [`datadog`]: one event per alert through the Events API v1 (`api_key` query),
//!   falcosidekick's title, text, `alert_type` and tags;
//! - [`grafana`]: one annotation per alert (`POST /api/annotations`, Bearer API key),
//!   falcosidekick's tags and times.
//!
//! What they share (URL and header checks, Go-JSON bodies, regional endpoints, the client)
//! is the HTTP-output kit of `falconer-http`. [`register`] adds the kinds this build enables.

#[cfg(feature = "alertmanager")]
pub mod alertmanager;
#[cfg(feature = "datadog")]
pub mod datadog;
#[cfg(feature = "grafana")]
pub mod grafana;
#[cfg(feature = "grafanaoncall")]
pub mod grafanaoncall;
#[cfg(feature = "opsgenie")]
pub mod opsgenie;
#[cfg(feature = "pagerduty")]
pub mod pagerduty;

/// Adds the incident kinds enabled by this crate's features to `registry`.
pub fn register(registry: &mut falconer_core::Registry) {
    // Without any kind feature there is nothing to add.
    let _ = &registry;
    #[cfg(feature = "alertmanager")]
    registry.insert(alertmanager::KIND);
    #[cfg(feature = "opsgenie")]
    registry.insert(opsgenie::KIND);
    #[cfg(feature = "pagerduty")]
    registry.insert(pagerduty::KIND);
    #[cfg(feature = "datadog")]
    registry.insert(datadog::KIND);
    #[cfg(feature = "grafana")]
    registry.insert(grafana::KIND);
    #[cfg(feature = "grafanaoncall")]
    registry.insert(grafanaoncall::KIND);
}
