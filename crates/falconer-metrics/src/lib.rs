//! Every Prometheus metric Falconer exposes, and the only place that names them.
//!
//! Two sets of families live in one registry:
//! - falcosidekick's (`falcosecurity_falcosidekick_*`), with the same names and labels, so
//!   existing dashboards and alert rules keep working;
//! - Falconer's own (`falconer_*`), low-cardinality, per output instance.
//!
//! The alert-driven families (`falconer_alerts_total` and `..._falco_events_total`) hold at
//! most [`SeriesLimits::max_series`] series each; see [`SeriesLimits`].

mod capped;
mod falco_events;
mod listener;
mod output;
mod reload;
mod ui;

use falconer_event::Alert;
use prometheus::{Encoder, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

pub use falco_events::sanitize_label_name;
use falco_events::FalcoEvents;
pub use listener::{ConnectionClose, ConnectionRefusal, ListenerMetrics};
pub use output::{BreakerState, DropReason, OutputMetrics, OUTPUT_LABELS, SUPPRESSED_REASONS};
pub use reload::ReloadMetrics;
pub use ui::{UiAuthFailure, UiAuthRefusal, UiMetrics};

/// A metric could not be registered (a bug, or an invalid extra label).
#[derive(Debug, thiserror::Error)]
#[error("cannot register metrics: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

/// Why an ingest request was turned away (bounded label values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectReason {
    /// Not POST.
    Method,
    /// Body over the size limit.
    TooLarge,
    /// Body not received in time.
    BodyTimeout,
    /// Not a valid Falco alert; the label says why (`invalid_json`, `empty_rule`, …).
    Invalid(&'static str),
    /// An output with `overflow: reject` had a full queue.
    QueueFull,
    /// The bearer token was missing or wrong.
    Unauthorized,
    /// The client sent more than `ingest.ratelimit` allows.
    RateLimited,
}

impl RejectReason {
    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            RejectReason::Method => "method",
            RejectReason::TooLarge => "too_large",
            RejectReason::BodyTimeout => "body_timeout",
            RejectReason::Invalid(reason) => reason,
            RejectReason::QueueFull => "queue_full",
            RejectReason::Unauthorized => "unauthorized",
            RejectReason::RateLimited => "rate_limited",
        }
    }
}

/// Default of [`SeriesLimits::max_series`] (`prometheus.maxseries`).
pub const DEFAULT_MAX_SERIES: usize = 5000;

/// Bounds on the series of the alert-driven families, which senders could otherwise grow
/// without end with a new rule, hostname or pod name per alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeriesLimits {
    /// Most series `falconer_alerts_total` and `falcosecurity_falcosidekick_falco_events_total`
    /// create each for exact label sets. Once a family holds them, an alert with a new label
    /// set is counted on an `other` series (rule, hostname, `k8s_*` and extra labels read
    /// `other`; priority and source stay exact) and in
    /// `falconer_metrics_series_folded_total{family}`. The `other` series add at most 265
    /// (256 priority × source pairs, then one per priority with `source="other"` too).
    pub max_series: usize,
    /// Whether `falcosecurity_falcosidekick_falco_events_total` has the `k8s_ns_name` and
    /// `k8s_pod_name` labels (falcosidekick has them).
    pub k8s_labels: bool,
}

impl Default for SeriesLimits {
    fn default() -> Self {
        SeriesLimits {
            max_series: DEFAULT_MAX_SERIES,
            k8s_labels: true,
        }
    }
}

/// The registry and every family.
pub struct Metrics {
    registry: Registry,
    inputs_accepted: IntCounter,
    inputs_rejected: IntCounter,
    received_accepted: IntCounter,
    received_rejected: IntCounterVec,
    alerts: capped::CappedFamily,
    falco_events: FalcoEvents,
    outputs: output::OutputFamilies,
    listeners: listener::ListenerFamilies,
    reload: reload::ReloadMetrics,
    dead_letter_errors: IntCounter,
}

impl Metrics {
    /// Registers every family. `event_label_fields` are the output fields added as labels of
    /// `falcosecurity_falcosidekick_falco_events_total` (customfields and templatedfields
    /// keys, then `prometheus.extralabels`); names that are not valid labels are returned so
    /// the caller can log them. The alert-driven families get the default [`SeriesLimits`].
    pub fn new(event_label_fields: &[String]) -> Result<(Self, Vec<String>), MetricsError> {
        Self::with_limits(event_label_fields, &SeriesLimits::default())
    }

    /// [`Metrics::new`] with the given bounds on the alert-driven families.
    pub fn with_limits(
        event_label_fields: &[String],
        limits: &SeriesLimits,
    ) -> Result<(Self, Vec<String>), MetricsError> {
        let registry = Registry::new();
        #[cfg(target_os = "linux")]
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;

        let inputs = IntCounterVec::new(
            Opts::new(
                "falcosecurity_falcosidekick_inputs_total",
                "Requests received on the ingest endpoint, by status (falcosidekick-compatible).",
            ),
            &["source", "status"],
        )?;
        registry.register(Box::new(inputs.clone()))?;
        let received = IntCounterVec::new(
            Opts::new(
                "falconer_alerts_received_total",
                "Ingest requests, by outcome.",
            ),
            &["status"],
        )?;
        registry.register(Box::new(received.clone()))?;
        let rejected = IntCounterVec::new(
            Opts::new(
                "falconer_alerts_rejected_total",
                "Rejected ingest requests, by reason.",
            ),
            &["reason"],
        )?;
        registry.register(Box::new(rejected.clone()))?;
        let alerts = IntCounterVec::new(
            Opts::new(ALERTS, "Accepted alerts, by priority, rule and source."),
            &["priority", "rule", "source"],
        )?;
        registry.register(Box::new(alerts.clone()))?;
        let folded = IntCounterVec::new(
            Opts::new(
                "falconer_metrics_series_folded_total",
                "Alerts counted on an `other` series because their family held prometheus.maxseries series.",
            ),
            &["family"],
        )?;
        registry.register(Box::new(folded.clone()))?;
        let alerts = capped::CappedFamily::new(
            ALERTS,
            alerts,
            vec![capped::Fold::Never, capped::Fold::First, capped::Fold::Late],
            limits.max_series,
            folded.with_label_values(&[ALERTS]),
        );
        let build = IntGaugeVec::new(
            Opts::new("falconer_build_info", "Always 1; the version is a label."),
            &["version"],
        )?;
        registry.register(Box::new(build.clone()))?;
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);

        let (falco_events, skipped) = FalcoEvents::register(
            &registry,
            event_label_fields,
            limits,
            folded.with_label_values(&[falco_events::NAME]),
        )?;
        let outputs = output::OutputFamilies::register(&registry)?;
        let listeners = listener::ListenerFamilies::register(&registry)?;
        let reload = reload::ReloadMetrics::register(&registry)?;
        let dead_letter_errors = IntCounter::new(
            "falconer_dead_letter_write_errors_total",
            "Dead letters that could not be written to the store (each is also logged).",
        )?;
        registry.register(Box::new(dead_letter_errors.clone()))?;
        Ok((
            Metrics {
                inputs_accepted: inputs.with_label_values(&["requests", "accepted"]),
                inputs_rejected: inputs.with_label_values(&["requests", "rejected"]),
                received_accepted: received.with_label_values(&["accepted"]),
                received_rejected: rejected,
                alerts,
                falco_events,
                outputs,
                listeners,
                reload,
                dead_letter_errors,
                registry,
            },
            skipped,
        ))
    }

    /// An ingest request was accepted: its alert is counted in the falcosidekick and
    /// Falconer families.
    pub fn alert_accepted(&self, alert: &Alert) {
        self.inputs_accepted.inc();
        self.received_accepted.inc();
        self.alerts.inc(
            [alert.priority.as_lower_str(), &alert.rule, &alert.source]
                .iter()
                .copied(),
        );
        self.falco_events.observe(alert);
    }

    /// An ingest request was rejected.
    pub fn request_rejected(&self, reason: RejectReason) {
        self.inputs_rejected.inc();
        self.received_rejected
            .with_label_values(&[reason.label()])
            .inc();
    }

    /// The metric handles of one output instance (`destination` is its falcosidekick id).
    pub fn output(&self, name: &str, kind: &str, destination: &str) -> OutputMetrics {
        self.outputs.instance(name, kind, destination)
    }

    /// The connection handles of one listener (`ingest`, `ui`).
    pub fn listener(&self, name: &str) -> ListenerMetrics {
        self.listeners.listener(name)
    }

    /// The configuration reload counters.
    pub fn reload(&self) -> &ReloadMetrics {
        &self.reload
    }

    /// Dead letters that could not be written (the store is full of errors, or overloaded).
    pub fn dead_letter_write_errors(&self) -> &IntCounter {
        &self.dead_letter_errors
    }

    /// The registry, for tests and custom collectors.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Everything, in the Prometheus text format.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 * 1024);
        // Encoding only fails on a writer error, and a Vec does not fail.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        out
    }
}

/// The name of the Falconer family of accepted alerts.
const ALERTS: &str = "falconer_alerts_total";

/// The `Content-Type` of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[cfg(test)]
mod tests;
