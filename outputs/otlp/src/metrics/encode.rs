//! The export request.

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric, number_data_point, AggregationTemporality, Metric, NumberDataPoint, ResourceMetrics,
    ScopeMetrics, Sum,
};
use opentelemetry_proto::tonic::resource::v1::Resource;

use crate::common::{string, strings};

/// The meter's name, as falcosidekick sets it.
pub const METER: &str = "falcosecurity.falco.otlpmetrics.meter";

/// The attributes of one `falcosecurity_falco_rules_matches_total` point.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MatchKey {
    /// `source`, `priority`, `rule`, `hostname`.
    pub fixed: [String; 4],
    /// `tags`.
    pub tags: Vec<String>,
    /// Custom fields and `extraattributes`, by name.
    pub extra: Vec<(String, String)>,
}

impl MatchKey {
    fn attributes(&self) -> Vec<KeyValue> {
        let names = ["source", "priority", "rule", "hostname"];
        let mut out: Vec<KeyValue> = names
            .iter()
            .zip(&self.fixed)
            .map(|(k, v)| string(k, v))
            .collect();
        out.push(strings("tags", &self.tags));
        out.extend(self.extra.iter().map(|(k, v)| string(k, v)));
        out
    }
}

fn point(attributes: Vec<KeyValue>, value: u64, start: u64, now: u64) -> NumberDataPoint {
    NumberDataPoint {
        attributes,
        start_time_unix_nano: start,
        time_unix_nano: now,
        value: Some(number_data_point::Value::AsInt(
            i64::try_from(value).unwrap_or(i64::MAX),
        )),
        ..NumberDataPoint::default()
    }
}

fn sum(name: &str, description: &str, points: Vec<NumberDataPoint>) -> Metric {
    Metric {
        name: name.into(),
        description: description.into(),
        data: Some(metric::Data::Sum(Sum {
            data_points: points,
            aggregation_temporality: AggregationTemporality::Cumulative as i32,
            is_monotonic: true,
        })),
        ..Metric::default()
    }
}

/// The export of the counts: rule matches, and the request and delivery counters (label sets
/// as `(key, value)` pairs, with their totals), between `start` and `now` (Unix nanoseconds).
pub fn export_request(
    matches: &BTreeMap<MatchKey, u64>,
    inputs: &[(Vec<(String, String)>, u64)],
    outputs: &[(Vec<(String, String)>, u64)],
    start: u64,
    now: u64,
) -> ExportMetricsServiceRequest {
    let labelled = |counts: &[(Vec<(String, String)>, u64)]| -> Vec<NumberDataPoint> {
        counts
            .iter()
            .map(|(labels, v)| {
                point(
                    labels.iter().map(|(k, v)| string(k, v)).collect(),
                    *v,
                    start,
                    now,
                )
            })
            .collect()
    };
    let mut metrics = vec![sum(
        "falcosecurity_falco_rules_matches_total",
        "Number of times rules match",
        matches
            .iter()
            .map(|(k, v)| point(k.attributes(), *v, start, now))
            .collect(),
    )];
    if !inputs.is_empty() {
        metrics.push(sum(
            "falcosecurity_falcosidekick_inputs",
            "Number of times an input is received",
            labelled(inputs),
        ));
    }
    if !outputs.is_empty() {
        metrics.push(sum(
            "falcosecurity_falcosidekick_outputs",
            "Number of times an output is generated",
            labelled(outputs),
        ));
    }
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![
                    string("service.name", "falco"),
                    string("service.version", "0.1.0"),
                ],
                ..Resource::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: METER.into(),
                    ..InstrumentationScope::default()
                }),
                metrics,
                ..ScopeMetrics::default()
            }],
            ..ResourceMetrics::default()
        }],
    }
}
