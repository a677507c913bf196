//! The alert policy's settings: the routing tree (`routes`, `defaultroute`), silences from
//! the config file, and the noise controls an output instance (or a route) may carry
//! (`match`, `throttle`, `dedup`, `group`). Conditions are kept as text here and compiled
//! (with their column-precise errors) by the policy crate.

use serde::Deserialize;

use crate::duration::GoDuration;

/// `routes[]`: one branch of the routing tree. Routes are tried in order; the first that
/// matches stops the walk unless it says `continue: true`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RouteSettings {
    /// Condition over the alert (`source = k8s_audit and k8s.ns.name = payments`); empty
    /// matches every alert.
    #[serde(rename = "match", default)]
    pub condition: String,
    /// Output instances that receive the alerts this route matches.
    #[serde(default)]
    pub outputs: Vec<String>,
    /// Keep trying the next routes after this one matched (default: stop here).
    #[serde(rename = "continue", default)]
    pub continue_matching: bool,
    /// At most `max` alerts per key per window through this route; the rest are counted
    /// and summarised when the window closes.
    #[serde(default)]
    pub throttle: Option<ThrottleSettings>,
    /// Alerts with the same key within the window go through this route once.
    #[serde(default)]
    pub dedup: Option<DedupSettings>,
    /// Alerts with the same key are collected for `wait` and sent as one.
    #[serde(default)]
    pub group: Option<GroupSettings>,
}

/// `throttle:` at most `max` alerts per key per window; the excess is counted and, when the
/// window closes, one summary alert says how many were held back.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ThrottleSettings {
    /// Alerts sent per key per window (default 1).
    #[serde(default = "one")]
    pub max: u32,
    /// The window (`10m`).
    pub window: GoDuration,
    /// Go template over the alert naming what is counted together (default: the rule and
    /// the hostname, `{{.Rule}} {{.Hostname}}`).
    #[serde(default)]
    pub key: String,
}

fn one() -> u32 {
    1
}

/// `dedup:` an alert whose key was already sent within the window is not sent again; the
/// repeats are counted on a summary when the window closes.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DedupSettings {
    /// The window (`5m`).
    pub window: GoDuration,
    /// Go template over the alert naming what counts as the same alert (default: rule,
    /// hostname and output message, `{{.Rule}} {{.Hostname}} {{.Output}}`).
    #[serde(default)]
    pub key: String,
}

/// `group:` alerts with the same key are collected for `wait` after the first, then sent
/// as one alert listing them all.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GroupSettings {
    /// How long to collect after the first alert of a group (`30s`).
    pub wait: GoDuration,
    /// Go template over the alert naming the group (default: the rule, `{{.Rule}}`).
    #[serde(default)]
    pub key: String,
    /// Alerts listed in one group message at most (default 50); more are counted.
    #[serde(default = "fifty")]
    pub maxalerts: usize,
}

fn fifty() -> usize {
    50
}

/// `silences[]`: alerts matching `match` between `startsat` and `endsat` are not sent to
/// any output (the event store still gets them, marked silenced).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SilenceSettings {
    /// Condition over the alert.
    #[serde(rename = "match")]
    pub condition: String,
    /// RFC 3339 start (default: now).
    #[serde(default, alias = "startsAt")]
    pub startsat: String,
    /// RFC 3339 end.
    #[serde(alias = "endsAt")]
    pub endsat: String,
    /// Who created it.
    #[serde(default, alias = "createdBy")]
    pub createdby: String,
    /// Why.
    #[serde(default)]
    pub comment: String,
}
