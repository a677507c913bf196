//! Kubernetes audit events evaluated per second against Falconer's shipped k8s_audit rules,
//! on one core (this program is single-threaded): the work `POST /k8s-audit` does per event,
//! from the EventList's bytes to the alerts (parse the body, read the fields, evaluate every
//! enabled rule, build each alert).
//!
//! ```text
//! cargo run --release -p falconer-k8saudit --example k8saudit-bench [-- SECONDS_PER_RUN]
//! taskset -c 0 target/release/examples/k8saudit-bench 2
//! ```
//!
//! Two streams: "cluster" is what an apiserver sends (nine in ten events are reads and
//! controller updates that match no rule, one in ten comes from the golden fixtures);
//! "fixtures" is the golden fixtures alone (nearly every event raises an alert). Each is run
//! with `rule_matching: first` and `all`; the median of 5 runs is printed.

use std::time::{Duration, Instant};

use falconer_k8saudit::{
    default_rules, parse_body, AlertSettings, BodyLimits, Engine, RuleMatching, RuleSet,
};

const FIXTURES: &[&str] = &[
    include_str!("../crates/falconer-k8saudit/tests/fixtures/configmap_aws_credentials.json"),
    include_str!("../crates/falconer-k8saudit/tests/fixtures/exec_into_pod.json"),
    include_str!("../crates/falconer-k8saudit/tests/fixtures/privileged_pod.json"),
    include_str!("../crates/falconer-k8saudit/tests/fixtures/hostnetwork_pod.json"),
    include_str!("../crates/falconer-k8saudit/tests/fixtures/sensitive_mount_pod.json"),
    include_str!("../crates/falconer-k8saudit/tests/fixtures/cluster_admin_binding.json"),
    include_str!("../crates/falconer-k8saudit/tests/fixtures/anonymous_forbidden.json"),
    include_str!("../crates/falconer-k8saudit/tests/fixtures/anonymous_allowed.json"),
    include_str!("../crates/falconer-k8saudit/tests/fixtures/serviceaccount_kube_system.json"),
    include_str!("../crates/falconer-k8saudit/tests/fixtures/nodeport_service.json"),
    include_str!("../crates/falconer-k8saudit/tests/fixtures/namespace_deleted.json"),
    include_str!("../crates/falconer-k8saudit/tests/fixtures/clusterrole_wildcard.json"),
    include_str!("../crates/falconer-k8saudit/tests/fixtures/nothing_to_report.json"),
];

/// The items of every fixture, as JSON values.
fn fixture_items() -> Vec<serde_json::Value> {
    FIXTURES
        .iter()
        .flat_map(|text| {
            let list: serde_json::Value = serde_json::from_str(text).expect("fixture JSON");
            list["items"].as_array().cloned().unwrap_or_default()
        })
        .collect()
}

/// A benign event: a read or a controller's lease update, as most of an apiserver's stream.
fn benign(i: usize) -> serde_json::Value {
    let (verb, user, resource) = match i % 4 {
        0 => (
            "get",
            "system:serviceaccount:kube-system:coredns",
            "endpoints",
        ),
        1 => ("list", "system:node:worker-1", "pods"),
        2 => ("watch", "system:kube-scheduler", "pods"),
        _ => ("update", "system:kube-controller-manager", "leases"),
    };
    serde_json::json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
        "auditID": format!("00000000-0000-4000-8000-{i:012}"), "stage": "ResponseComplete",
        "requestURI": format!("/api/v1/namespaces/default/{resource}?resourceVersion={i}"),
        "verb": verb, "user": {"username": user, "groups": ["system:authenticated"]},
        "sourceIPs": ["10.0.0.12"], "userAgent": "kube-controller-manager/v1.30.0",
        "objectRef": {"resource": resource, "namespace": "default", "name": format!("obj-{i}"), "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": 200},
        "requestReceivedTimestamp": "2024-05-14T09:21:07.412345Z",
        "stageTimestamp": "2024-05-14T09:21:07.418790Z",
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
    })
}

fn event_list(items: Vec<serde_json::Value>) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {}, "items": items
    }))
    .expect("JSON")
}

/// Events per second and alerts per event over `seconds`, evaluating `body` again and again.
fn run(engine: &Engine, body: &[u8], seconds: f64) -> (f64, f64) {
    let limits = BodyLimits::default();
    let start = Instant::now();
    let (mut events, mut alerts) = (0usize, 0usize);
    while start.elapsed() < Duration::from_secs_f64(seconds) {
        let parsed = parse_body(body, &limits).expect("valid body");
        for event in &parsed.events {
            alerts += engine.evaluate(event).len();
        }
        events += parsed.events.len();
    }
    let elapsed = start.elapsed().as_secs_f64();
    (
        events as f64 / elapsed,
        alerts as f64 / events.max(1) as f64,
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let rules = RuleSet::load(&[default_rules()]).expect("default rules");
    let enabled = rules.enabled().count();
    let fixtures = fixture_items();
    let mut cluster = Vec::new();
    for i in 0..1000 {
        if i % 10 == 0 {
            cluster.push(fixtures[(i / 10) % fixtures.len()].clone());
        } else {
            cluster.push(benign(i));
        }
    }
    let streams = [
        ("cluster (90% benign)", event_list(cluster)),
        ("fixtures", event_list(fixtures.clone())),
    ];
    println!(
        "k8s_audit evaluation, one core: {enabled} enabled rules, median of 5 runs of {seconds} s"
    );
    println!(
        "{:<22} {:<8} {:>14} {:>14} {:>12}",
        "stream", "matching", "events/s", "µs/event", "alerts/event"
    );
    for (name, body) in &streams {
        let limits = BodyLimits::default();
        let mut rates = Vec::new();
        for _ in 0..5 {
            let start = Instant::now();
            let mut events = 0usize;
            while start.elapsed() < Duration::from_secs_f64(seconds) {
                events += parse_body(body, &limits).expect("valid body").events.len();
            }
            rates.push(events as f64 / start.elapsed().as_secs_f64());
        }
        let rate = median(rates);
        println!(
            "{name:<22} {:<8} {rate:>14.0} {:>14.2} {:>12}",
            "(parse)",
            1e6 / rate,
            "-"
        );
        for matching in [RuleMatching::First, RuleMatching::All] {
            let engine = Engine::new(
                rules.clone(),
                matching,
                AlertSettings {
                    hostname: "bench".into(),
                    time_format_iso8601: false,
                },
            );
            let mut rates = Vec::new();
            let mut per_event = 0.0;
            for _ in 0..5 {
                let (rate, alerts) = run(&engine, body, seconds);
                rates.push(rate);
                per_event = alerts;
            }
            let rate = median(rates);
            println!(
                "{name:<22} {:<8} {rate:>14.0} {:>14.2} {per_event:>12.2}",
                format!("{matching:?}").to_lowercase(),
                1e6 / rate
            );
        }
    }
}
