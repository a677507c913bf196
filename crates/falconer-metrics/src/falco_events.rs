//! `falcosecurity_falcosidekick_falco_events_total`, with falcosidekick's labels.

use falconer_event::Alert;
use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

use crate::capped::{CappedFamily, Fold};
use crate::SeriesLimits;

/// The family's name.
pub(crate) const NAME: &str = "falcosecurity_falcosidekick_falco_events_total";

/// falcosidekick's labels; the two `k8s_*` ones come last so that `prometheus.k8slabels:
/// false` can leave them out.
const FIXED_LABELS: [&str; 7] = [
    "hostname",
    "rule",
    "priority",
    "priority_raw",
    "source",
    "k8s_ns_name",
    "k8s_pod_name",
];

/// How each of [`FIXED_LABELS`] folds once the family is full (extra labels fold first).
const FIXED_FOLDS: [Fold; 7] = [
    Fold::First,
    Fold::First,
    Fold::Never,
    Fold::Never,
    Fold::Late,
    Fold::First,
    Fold::First,
];

/// Labels left when `prometheus.k8slabels` is false.
const WITHOUT_K8S: usize = 5;

/// The family and the output fields that feed its extra labels.
pub(crate) struct FalcoEvents {
    family: CappedFamily,
    /// How many of [`FIXED_LABELS`] the family has (all, or all but the `k8s_*` ones).
    fixed: usize,
    /// Output field keys of the extra labels, in label order after the fixed ones.
    extra: Vec<String>,
}

/// falcosidekick's rule (`.` becomes `_`), with Prometheus' label-name grammar
/// `^[a-zA-Z_][a-zA-Z0-9_]*$` (`:` is allowed in metric names only).
pub fn sanitize_label_name(field: &str) -> Option<String> {
    let name = field.replace('.', "_");
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    (first_ok && rest_ok && !name.starts_with("__")).then_some(name)
}

impl FalcoEvents {
    pub(crate) fn register(
        registry: &Registry,
        fields: &[String],
        limits: &SeriesLimits,
        folded: IntCounter,
    ) -> Result<(Self, Vec<String>), prometheus::Error> {
        let fixed = if limits.k8s_labels {
            FIXED_LABELS.len()
        } else {
            WITHOUT_K8S
        };
        let mut labels: Vec<String> = FIXED_LABELS[..fixed]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let mut extra = Vec::new();
        let mut skipped = Vec::new();
        for field in fields {
            match sanitize_label_name(field) {
                Some(label) if !labels.contains(&label) => {
                    labels.push(label);
                    extra.push(field.clone());
                }
                Some(_) => {}
                None => skipped.push(field.clone()),
            }
        }
        let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let family = IntCounterVec::new(
            Opts::new(
                NAME,
                "Falco events received, by hostname, rule, priority and source (falcosidekick-compatible).",
            ),
            &label_refs,
        )?;
        registry.register(Box::new(family.clone()))?;
        let mut folds = FIXED_FOLDS[..fixed].to_vec();
        folds.resize(labels.len(), Fold::First);
        let family = CappedFamily::new(NAME, family, folds, limits.max_series, folded);
        Ok((
            FalcoEvents {
                family,
                fixed,
                extra,
            },
            skipped,
        ))
    }

    pub(crate) fn observe(&self, alert: &Alert) {
        let hostname = if alert.hostname.is_empty() {
            "unknown"
        } else {
            &alert.hostname
        };
        const LEVELS: [&str; 9] = ["0", "1", "2", "3", "4", "5", "6", "7", "8"];
        let level = LEVELS[usize::from(alert.priority.level()).min(8)];
        let (ns, pod) = if self.fixed == FIXED_LABELS.len() {
            (
                alert.field_str("k8s.ns.name").unwrap_or(""),
                alert.field_str("k8s.pod.name").unwrap_or(""),
            )
        } else {
            ("", "")
        };
        let fixed: [&str; 7] = [
            hostname,
            &alert.rule,
            level,
            alert.priority.as_lower_str(),
            &alert.source,
            ns,
            pod,
        ];
        let extra = self.extra.iter().map(|f| alert.field_str(f).unwrap_or(""));
        self.family
            .inc(fixed[..self.fixed].iter().copied().chain(extra));
    }
}
