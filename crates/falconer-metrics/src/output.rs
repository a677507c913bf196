//! Per output instance families, with their label handles resolved once.

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};

/// Labels of every per-output family.
pub const OUTPUT_LABELS: [&str; 2] = ["output", "kind"];

/// Why an output did not deliver an alert (bounded label values). Each such alert is also
/// written to the dead-letter store when it is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// The output's in-memory queue was full when the alert arrived.
    QueueFull,
    /// The output's spool was full when the alert arrived.
    SpoolFull,
    /// The destination refused the alert in a way retrying cannot fix (a 4xx, a rejection).
    Rejected,
    /// Every attempt `retry.maxattempts` allows failed.
    RetriesExhausted,
    /// The alert grew older than `retry.maxage` while being retried.
    MaxAge,
    /// Still queued or in flight when the shutdown grace period ended, or arrived after it.
    Shutdown,
    /// The attempt was aborted (the output panicked).
    Aborted,
    /// A spooled record could not be read back.
    Corrupt,
    /// The spool could not write the alert (a disk error); the sender was answered 503.
    SpoolError,
    /// Left in the spool by an output that is no longer spooled (removed from the
    /// configuration, or its spool turned off).
    Removed,
}

impl DropReason {
    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            DropReason::QueueFull => "queue_full",
            DropReason::SpoolFull => "spool_full",
            DropReason::Rejected => "rejected",
            DropReason::RetriesExhausted => "retries_exhausted",
            DropReason::MaxAge => "max_age",
            DropReason::Shutdown => "shutdown",
            DropReason::Aborted => "aborted",
            DropReason::Corrupt => "corrupt",
            DropReason::SpoolError => "spool_error",
            DropReason::Removed => "output_removed",
        }
    }

    /// True when the alert never reached the output's queue (ingest-side overflow), as
    /// opposed to a delivery the output gave up on.
    pub fn is_overflow(self) -> bool {
        matches!(self, DropReason::QueueFull | DropReason::SpoolFull)
    }
}

/// Circuit breaker states, as the `falconer_output_breaker_state` gauge shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Attempts flow (0).
    Closed = 0,
    /// Attempts are held back until the next probe (1).
    Open = 1,
    /// One probe attempt is in flight (2).
    HalfOpen = 2,
}

pub(crate) struct OutputFamilies {
    compat: IntCounterVec,
    deliveries: IntCounterVec,
    errors: IntCounterVec,
    dropped: IntCounterVec,
    dead_letters: IntCounterVec,
    attempts: IntCounterVec,
    retries: IntCounterVec,
    breaker: IntGaugeVec,
    spool_bytes: IntGaugeVec,
    latency: HistogramVec,
    queue_depth: IntGaugeVec,
    in_flight: IntGaugeVec,
    up: IntGaugeVec,
    truncations: IntCounterVec,
    suppressed: IntCounterVec,
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
    dead_letters: IntCounterVec,
    labels: [String; 2],
    /// Delivery attempts (requests) made.
    pub attempts: IntCounter,
    /// Attempts that were failures followed by a retry.
    pub retries: IntCounter,
    /// The circuit breaker's state (see [`BreakerState`]).
    pub breaker: IntGauge,
    /// Payload bytes held in the output's spool.
    pub spool_bytes: IntGauge,
    /// Seconds from enqueue to the output accepting the alert.
    pub latency: Histogram,
    /// Alerts waiting in the queue.
    pub queue_depth: IntGauge,
    /// Alerts in delivery attempts right now.
    pub in_flight: IntGauge,
    /// 1 while the worker runs.
    pub up: IntGauge,
    /// Payloads shortened to fit the destination's limits.
    pub truncations: IntCounter,
    suppressed: [IntCounter; 4],
}

/// Reasons of `falconer_alerts_suppressed_total`, in the order of its handles.
pub const SUPPRESSED_REASONS: [&str; 4] = ["silenced", "throttle", "dedup", "group"];

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
            dead_letters: reg(
                registry,
                IntCounterVec::new(
                    Opts::new("falconer_output_dead_letters_total", "Alerts written to the dead-letter store, by reason."),
                    &with("reason"),
                )?,
            )?,
            attempts: reg(
                registry,
                IntCounterVec::new(
                    Opts::new("falconer_output_attempts_total", "Delivery attempts (requests) made."),
                    &OUTPUT_LABELS,
                )?,
            )?,
            retries: reg(
                registry,
                IntCounterVec::new(
                    Opts::new("falconer_output_retries_total", "Failed delivery attempts that were retried."),
                    &OUTPUT_LABELS,
                )?,
            )?,
            breaker: reg(
                registry,
                IntGaugeVec::new(
                    Opts::new("falconer_output_breaker_state", "Circuit breaker: 0 closed, 1 open, 2 half-open (probing)."),
                    &OUTPUT_LABELS,
                )?,
            )?,
            spool_bytes: reg(
                registry,
                IntGaugeVec::new(
                    Opts::new("falconer_output_spool_bytes", "Payload bytes held in the output's durable spool."),
                    &OUTPUT_LABELS,
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
            truncations: reg(
                registry,
                IntCounterVec::new(
                    Opts::new(
                        "falconer_output_truncations_total",
                        "Payloads shortened to fit the destination's size limits.",
                    ),
                    &OUTPUT_LABELS,
                )?,
            )?,
            suppressed: reg(
                registry,
                IntCounterVec::new(
                    Opts::new(
                        "falconer_alerts_suppressed_total",
                        "Alerts an output did not get because a silence matched them or a throttle, dedup or group held them back (summarised, not lost).",
                    ),
                    &with("reason"),
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
            dead_letters: self.dead_letters.clone(),
            labels: [name.to_owned(), kind.to_owned()],
            attempts: self.attempts.with_label_values(&l),
            retries: self.retries.with_label_values(&l),
            breaker: self.breaker.with_label_values(&l),
            spool_bytes: self.spool_bytes.with_label_values(&l),
            latency: self.latency.with_label_values(&l),
            queue_depth: self.queue_depth.with_label_values(&l),
            in_flight: self.in_flight.with_label_values(&l),
            up: self.up.with_label_values(&l),
            truncations: self.truncations.with_label_values(&l),
            suppressed: SUPPRESSED_REASONS
                .map(|reason| self.suppressed.with_label_values(&[name, kind, reason])),
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
        if !reason.is_overflow() {
            self.failed.inc_by(count);
        }
        self.dropped
            .with_label_values(&[&self.labels[0], &self.labels[1], reason.label()])
            .inc_by(count);
    }

    /// `count` alerts given up for `reason` were written to the dead-letter store.
    pub fn dead_lettered(&self, count: u64, reason: DropReason) {
        self.dead_letters
            .with_label_values(&[&self.labels[0], &self.labels[1], reason.label()])
            .inc_by(count);
    }

    /// An alert was held back from this output: `reason` is one of
    /// [`SUPPRESSED_REASONS`] (anything else counts as `silenced`).
    pub fn suppressed(&self, reason: &str) {
        let i = SUPPRESSED_REASONS
            .iter()
            .position(|r| *r == reason)
            .unwrap_or(0);
        self.suppressed[i].inc();
    }

    /// Alerts held back for `reason` so far.
    pub fn suppressed_count(&self, reason: &str) -> u64 {
        SUPPRESSED_REASONS
            .iter()
            .position(|r| *r == reason)
            .map_or(0, |i| self.suppressed[i].get())
    }

    /// Alerts delivered so far.
    pub fn delivered_count(&self) -> u64 {
        self.delivered.get()
    }

    /// Alerts given up so far (not counting those refused at the queue).
    pub fn failed_count(&self) -> u64 {
        self.failed.get()
    }

    /// The instance name.
    pub fn output_name(&self) -> &str {
        &self.labels[0]
    }

    /// The kind.
    pub fn kind(&self) -> &str {
        &self.labels[1]
    }
}
