//! What the process embedding the UI tells its Info page about itself while it runs: the
//! output instances with their state (worker, circuit breaker, queue), the routing tree and
//! the config file's silences. The UI crate knows nothing of the dispatcher; the binary
//! implements [`RuntimeInfo`] (see `crates/falconer/src/ui.rs`).

use serde::Serialize;

/// One output instance as the Info page shows it. `None`: not known to the provider.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OutputStatus {
    /// The instance name (`ui`, `slack`, `slack-oncall`).
    pub name: String,
    /// Its kind (`webui`, `slack`).
    pub kind: String,
    /// Whether its worker runs.
    pub running: Option<bool>,
    /// The circuit breaker: `closed`, `open` or `half-open`.
    pub breaker: Option<String>,
    /// Alerts waiting in its queue.
    pub queue_depth: Option<i64>,
    /// Alerts in delivery attempts right now.
    pub in_flight: Option<i64>,
    /// Payload bytes in its durable spool.
    pub spool_bytes: Option<i64>,
    /// Alerts delivered since the start.
    pub delivered: Option<u64>,
    /// Alerts given up after their retries since the start.
    pub failed: Option<u64>,
    /// Alerts not queued (its queue or spool was full) since the start.
    pub dropped: Option<u64>,
}

/// One route of the routing tree.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RouteStatus {
    /// Its condition (empty: every alert).
    #[serde(rename = "match")]
    pub condition: String,
    /// The outputs it sends to.
    pub outputs: Vec<String>,
    /// Whether the walk goes on after it matched.
    #[serde(rename = "continue")]
    pub continue_matching: bool,
    /// Its noise controls, one line each (`throttle: 5 per 10m`).
    pub noise: Vec<String>,
}

/// A silence of the config file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConfigSilence {
    /// Its condition.
    #[serde(rename = "match")]
    pub condition: String,
    /// RFC 3339 start (empty: from the start of the process).
    #[serde(rename = "startsAt")]
    pub starts_at: String,
    /// RFC 3339 end.
    #[serde(rename = "endsAt")]
    pub ends_at: String,
    /// Who wrote it.
    #[serde(rename = "createdBy")]
    pub created_by: String,
    /// Why.
    pub comment: String,
}

/// Everything the provider knows at one moment.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RuntimeStatus {
    /// The output instances, in configuration order.
    pub outputs: Vec<OutputStatus>,
    /// The routes, in order (empty: every alert goes to every output).
    pub routes: Vec<RouteStatus>,
    /// The outputs of alerts no route matched.
    #[serde(rename = "defaultRoute")]
    pub default_route: Vec<String>,
    /// The config file's silences.
    pub silences: Vec<ConfigSilence>,
}

/// Supplies the Info page's view of the running process; called on every view, so it
/// should be cheap (read gauges, not the network).
pub trait RuntimeInfo: Send + Sync + std::fmt::Debug + 'static {
    /// The state now.
    fn status(&self) -> RuntimeStatus;
}
