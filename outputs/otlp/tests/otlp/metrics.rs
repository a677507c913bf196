//! OTLP metrics: the periodic cumulative export of rule matches (with custom and extra
//! attributes) and of the request and delivery counters, config and env.

use std::collections::BTreeMap;
use std::sync::Arc;

use falconer_config::{CommonSettings, GlobalSettings, OutputEntry};
use falconer_core::{BuildContext, Output};
use falconer_http::contract::{sample, WAIT};
use falconer_outputs_otlp::metrics::{export_request, MatchKey, KIND};
use falconer_testkit::RecordingSink;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point, Metric};
use prometheus::{IntCounterVec, Opts, Registry};
use prost::Message;
use serde_json::json;

use crate::{attributes, from_env, FIXTURES};

fn points(m: &Metric) -> Vec<(Vec<(String, String)>, i64)> {
    let Some(metric::Data::Sum(sum)) = &m.data else {
        panic!("{} is not a sum", m.name);
    };
    assert_eq!(
        (sum.aggregation_temporality, sum.is_monotonic),
        (2, true),
        "cumulative, monotonic"
    );
    let mut out: Vec<_> = sum
        .data_points
        .iter()
        .map(|p| {
            let v = match p.value {
                Some(number_data_point::Value::AsInt(v)) => v,
                other => panic!("not an int: {other:?}"),
            };
            (attributes(&p.attributes), v)
        })
        .collect();
    out.sort();
    out
}

/// The first export received that satisfies `ready` (exports come every 100 ms; one made
/// before the alerts were counted, on a slow machine, is skipped).
async fn export_where(
    sink: &RecordingSink,
    ready: impl Fn(&ExportMetricsServiceRequest) -> bool,
) -> (
    falconer_testkit::RecordedRequest,
    ExportMetricsServiceRequest,
) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        for r in sink.requests() {
            let request =
                ExportMetricsServiceRequest::decode(r.body.as_ref()).expect("OTLP protobuf");
            if ready(&request) {
                return (r, request);
            }
        }
        assert!(std::time::Instant::now() < deadline, "no such export");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The value of the first rule-match point whose rule is `rule`.
fn matches_of(request: &ExportMetricsServiceRequest, rule: &str) -> i64 {
    let metric = &request.resource_metrics[0].scope_metrics[0].metrics[0];
    points(metric)
        .into_iter()
        .find(|(attrs, _)| attrs.iter().any(|(k, v)| k == "rule" && v == rule))
        .map_or(0, |(_, v)| v)
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn rule_matches_and_counters_are_exported_as_cumulative_sums() {
    let sink = RecordingSink::start().await;
    let registry = Registry::new();
    let inputs = IntCounterVec::new(
        Opts::new("falcosecurity_falcosidekick_inputs_total", "r"),
        &["source", "status"],
    )
    .expect("valid");
    let outputs = IntCounterVec::new(
        Opts::new("falcosecurity_falcosidekick_outputs_total", "d"),
        &["destination", "status"],
    )
    .expect("valid");
    registry.register(Box::new(inputs.clone())).expect("valid");
    registry.register(Box::new(outputs.clone())).expect("valid");
    inputs
        .with_label_values(&["requests", "accepted"])
        .inc_by(5);
    outputs.with_label_values(&["slack", "ok"]).inc_by(2);
    let mut global = GlobalSettings::default();
    global.customfields.insert(
        "proc.cmdline".into(),
        "ignored: the alert's value is used".into(),
    );
    let entry = OutputEntry {
        name: "otlpmetrics".into(),
        kind: "otlpmetrics".into(),
        path: "otlp.metrics".into(),
        common: CommonSettings::default(),
        settings: json!({"endpoint": sink.url("/v1/metrics"), "exportinterval": "100ms", "extraattributes": "k8s.ns.name"}),
    };
    let out: Arc<dyn Output> = KIND
        .prepare(&entry)
        .expect("valid")
        .build(BuildContext {
            name: "otlpmetrics".into(),
            path: "otlp.metrics".into(),
            global: Arc::new(global),
            resources: falconer_core::Resources::default().with(Arc::new(registry)),
        })
        .await
        .expect("builds");
    out.send(&[sample(1), sample(2), sample(3)])
        .await
        .expect("counted");
    let (r, request) =
        export_where(&sink, |e| matches_of(e, "Terminal shell in container") == 2).await;
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v1/metrics")
    );
    assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
    let rm = &request.resource_metrics[0];
    assert_eq!(
        attributes(&rm.resource.as_ref().unwrap().attributes),
        pairs(&[("service.name", "falco"), ("service.version", "0.1.0")])
    );
    let scope = &rm.scope_metrics[0];
    assert_eq!(
        scope.scope.as_ref().unwrap().name,
        "falcosecurity.falco.otlpmetrics.meter"
    );
    let by_name: BTreeMap<&str, &Metric> =
        scope.metrics.iter().map(|m| (m.name.as_str(), m)).collect();
    assert_eq!(
        points(by_name["falcosecurity_falco_rules_matches_total"]),
        vec![
            (
                pairs(&[
                    ("source", "k8s_audit"),
                    ("priority", "Warning"),
                    ("rule", "Create/Modify Configmap With Private Credentials"),
                    ("hostname", "minikube"),
                    ("tags", "[k8s]"),
                ]),
                1
            ),
            (
                pairs(&[
                    ("source", "syscalls"),
                    ("priority", "Notice"),
                    ("rule", "Terminal shell in container"),
                    ("hostname", "node-1"),
                    ("tags", "[container, mitre_execution, shell]"),
                    ("proc.cmdline", "bash"),
                    ("k8s.ns.name", "default"),
                ]),
                2
            ),
        ]
    );
    assert_eq!(
        points(by_name["falcosecurity_falcosidekick_inputs"]),
        vec![(pairs(&[("source", "requests"), ("status", "accepted")]), 5)]
    );
    assert_eq!(
        points(by_name["falcosecurity_falcosidekick_outputs"]),
        vec![(pairs(&[("destination", "slack"), ("status", "ok")]), 2)]
    );
    // Cumulative: the next exports carry the totals.
    out.send(&[sample(5)]).await.expect("counted");
    outputs.with_label_values(&["slack", "ok"]).inc();
    let (_, last) =
        export_where(&sink, |e| matches_of(e, "Terminal shell in container") == 3).await;
    let metrics = &last.resource_metrics[0].scope_metrics[0].metrics;
    let delivered = |m: &Metric| points(m)[0].1;
    let outputs_metric = metrics
        .iter()
        .find(|m| m.name == "falcosecurity_falcosidekick_outputs")
        .expect("outputs");
    assert!(delivered(outputs_metric) >= 2, "totals, never less");
    let (_, later) = export_where(&sink, |e| {
        e.resource_metrics[0].scope_metrics[0]
            .metrics
            .iter()
            .find(|m| m.name == "falcosecurity_falcosidekick_outputs")
            .is_some_and(|m| points(m)[0].1 == 3)
    })
    .await;
    assert_eq!(
        matches_of(&later, "Terminal shell in container"),
        3,
        "cumulative"
    );
    drop(out);
}

#[test]
fn the_export_is_golden() {
    let key = MatchKey {
        fixed: [
            "syscalls".into(),
            "Notice".into(),
            "Terminal shell in container".into(),
            "node-1".into(),
        ],
        tags: vec!["shell".into()],
        extra: vec![("k8s.ns.name".into(), "default".into())],
    };
    let matches = BTreeMap::from([(key, 7)]);
    let inputs = vec![(pairs(&[("source", "requests"), ("status", "accepted")]), 9)];
    let request = export_request(
        &matches,
        &inputs,
        &[],
        1_700_000_000_000_000_000,
        1_700_000_060_000_000_000,
    );
    falconer_http::fixtures::assert_golden(
        FIXTURES,
        "otlpmetrics/single.txt",
        format!("{request:#?}\n"),
    );
}

#[test]
fn env_variables_configure_the_block() {
    let settings = from_env(
        KIND,
        &[
            ("OTLP_METRICS_ENDPOINT", "http://collector:4318/v1/metrics"),
            ("OTLP_METRICS_EXTRAATTRIBUTES", "k8s.ns.name,k8s.pod.name"),
        ],
    );
    let c: falconer_outputs_otlp::metrics::MetricsConfig =
        falconer_config::from_value(settings).expect("reads");
    assert_eq!(c.extraattributes, ["k8s.ns.name", "k8s.pod.name"]);
    assert_eq!(c.exportinterval.0, std::time::Duration::from_secs(60));
}
