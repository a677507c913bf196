//! The incident kinds through the real delivery core: one module per kind (one test binary
//! for the family).

#[cfg(feature = "alertmanager")]
mod alertmanager;
mod conformance;
#[cfg(feature = "datadog")]
mod datadog;
#[cfg(feature = "grafana")]
mod grafana;
#[cfg(feature = "grafanaoncall")]
mod grafanaoncall;
#[cfg(feature = "opsgenie")]
mod opsgenie;
#[cfg(feature = "pagerduty")]
mod pagerduty;
mod recipe;
