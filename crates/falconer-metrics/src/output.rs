//! Per output instance families, with their label handles resolved once.

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};

/// Labels of every per-output family.
pub const OUTPUT_LABELS: [&str; 2] = ["output", "kind"];

/// Why an output did not deliver an alert (bounded label values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// The output's queue was full when the alert arrived.
    QueueFull,
    /// The delivery attempt failed and the alert was not retried.
    DeliveryFailed,
    /// Still queued or in flight when the shutdown grace period ended, or arrived after it.
    Shutdown,
    /// The attempt was aborted (the output panicked, or shutdown cut it off).
    Aborted,
}

impl DropReason {
    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            DropReason::QueueFull => "queue_full",
            DropReason::DeliveryFailed => "delivery_failed",
            DropReason::Shutdown => "shutdown",
            DropReason::Aborted => "aborted",
        }
    }
}

pub(crate) struct OutputFamilies {
    compat: IntCounterVec,
    deliveries: IntCounterVec,
    errors: IntCounterVec,
    dropped: IntCounterVec,
    latency: HistogramVec,
    queue_depth: IntGaugeVec,
    in_flight: IntGaugeVec,
    up: IntGaugeVec,
}

/// One output instance's metric handles. Cheap to clone.
#[derive(Clone)]
pub struct OutputMetrics {
    compat_ok: IntCounter,
    compat_error: IntCounter,
    delivered: IntCounter,
    failed: IntCounter,
    errors: IntCounterVec,
    dropped: IntCounterVec,
    labels: [String; 2],
    /// Seconds from enqueue to the output accepting the alert.
    pub latency: Histogram,
    /// Alerts waiting in the queue.
    pub queue_depth: IntGauge,
    /// Alerts in delivery attempts right now.
    pub in_flight: IntGauge,
    /// 1 while the worker runs.
    pub up: IntGauge,
}

impl OutputFamilies {
    pub(crate) fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        fn reg<T: prometheus::core::Collector + Clone + 'static>(
            registry: &Registry,
            c: T,
        ) -> Result<T, prometheus::Error> {
            registry.register(Box::new(c.clone()))?;
            Ok(c)
        }
        let with = |extra: &'static str| [OUTPUT_LABELS[0], OUTPUT_LABELS[1], extra];
        Ok(OutputFamilies {
            compat: reg(
                registry,
                IntCounterVec::new(
                    Opts::new(
                        "falcosecurity_falcosidekick_outputs_total",
                        "Alerts sent to outputs, by destination and status (falcosidekick-compatible).",
                    ),
                    &["destination", "status"],
                )?,
            )?,
            deliveries: reg(
                registry,
                IntCounterVec::new(
                    Opts::new("falconer_output_deliveries_total", "Alerts delivered or given up, per output."),
                    &with("status"),
                )?,
            )?,
            errors: reg(
                registry,
                IntCounterVec::new(
                    Opts::new("falconer_output_errors_total", "Failed delivery attempts, by error class."),
                    &with("error"),
                )?,
            )?,
            dropped: reg(
                registry,
                IntCounterVec::new(
                    Opts::new("falconer_output_dropped_total", "Alerts an output did not deliver, by reason."),
                    &with("reason"),
                )?,
            )?,
            latency: reg(
                registry,
                HistogramVec::new(
                    HistogramOpts::new(
                        "falconer_output_delivery_duration_seconds",
                        "Time from enqueue to the output accepting the alert.",
                    )
                    .buckets(vec![
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                        10.0, 30.0, 60.0,
                    ]),
                    &OUTPUT_LABELS,
                )?,
            )?,
            queue_depth: reg(
                registry,
                IntGaugeVec::new(
                    Opts::new("falconer_output_queue_depth", "Alerts waiting in the output's queue."),
                    &OUTPUT_LABELS,
                )?,
            )?,
            in_flight: reg(
                registry,
                IntGaugeVec::new(
                    Opts::new("falconer_output_in_flight", "Alerts in delivery attempts right now."),
                    &OUTPUT_LABELS,
                )?,
            )?,
            up: reg(
                registry,
                IntGaugeVec::new(
                    Opts::new("falconer_output_up", "1 while the output's worker runs."),
                    &OUTPUT_LABELS,
                )?,
            )?,
        })
    }

    pub(crate) fn instance(&self, name: &str, kind: &str, destination: &str) -> OutputMetrics {
        let l = [name, kind];
        OutputMetrics {
            compat_ok: self.compat.with_label_values(&[destination, "ok"]),
            compat_error: self.compat.with_label_values(&[destination, "error"]),
            delivered: self.deliveries.with_label_values(&[name, kind, "ok"]),
            failed: self.deliveries.with_label_values(&[name, kind, "error"]),
            errors: self.errors.clone(),
            dropped: self.dropped.clone(),
            labels: [name.to_owned(), kind.to_owned()],
            latency: self.latency.with_label_values(&l),
            queue_depth: self.queue_depth.with_label_values(&l),
            in_flight: self.in_flight.with_label_values(&l),
            up: self.up.with_label_values(&l),
        }
    }
}

impl OutputMetrics {
    /// `count` alerts were accepted by the destination.
    pub fn delivered(&self, count: u64) {
        self.delivered.inc_by(count);
        self.compat_ok.inc_by(count);
    }

    /// A delivery attempt for `count` alerts failed with error class `error`.
    pub fn attempt_failed(&self, count: u64, error: &str) {
        self.compat_error.inc_by(count);
        self.errors
            .with_label_values(&[&self.labels[0], &self.labels[1], error])
            .inc_by(count);
    }

    /// `count` alerts were given up for `reason`.
    pub fn dropped(&self, count: u64, reason: DropReason) {
        if reason != DropReason::QueueFull {
            self.failed.inc_by(count);
        }
        self.dropped
            .with_label_values(&[&self.labels[0], &self.labels[1], reason.label()])
            .inc_by(count);
    }
}
