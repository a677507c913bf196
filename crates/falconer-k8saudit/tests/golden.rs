//! Golden fixtures: audit EventLists as the apiserver posts them (`tests/fixtures/NAME.json`)
//! and, for each, the exact alerts the shipped rules raise, as Falco writes them
//! (`NAME.alerts.json` with `rule_matching: first`, `NAME.all.alerts.json` with `all`).
//!
//! `UPDATE_GOLDEN=1 cargo test -p falconer-k8saudit --test golden` rewrites the files; the
//! table below pins which rules fire, so a rewrite cannot change that unnoticed.

use std::path::{Path, PathBuf};

use falconer_k8saudit::{
    default_rules, falco_json, parse_body, AlertSettings, BodyLimits, Engine, RuleMatching, RuleSet,
};
use serde_json::Value;

/// Fixture → the rules that fire with `first`, event by event (`-` for none).
const EXPECTED: &[(&str, &[&str])] = &[
    (
        "configmap_aws_credentials",
        &["Create/Modify Configmap With Private Credentials"],
    ),
    ("exec_into_pod", &["Attach/Exec Pod", "-"]),
    ("privileged_pod", &["Create Privileged Pod"]),
    ("hostnetwork_pod", &["Create HostNetwork Pod"]),
    ("sensitive_mount_pod", &["Create Sensitive Mount Pod"]),
    ("cluster_admin_binding", &["Attach to cluster-admin Role"]),
    ("anonymous_forbidden", &["K8s Request Forbidden"]),
    ("anonymous_allowed", &["-", "Anonymous Request Allowed"]),
    (
        "serviceaccount_kube_system",
        &["Service Account Created in Kube Namespace"],
    ),
    ("nodeport_service", &["Create NodePort Service"]),
    ("namespace_deleted", &["K8s Namespace Deleted"]),
    (
        "clusterrole_wildcard",
        &["ClusterRole With Wildcard Created"],
    ),
    ("nothing_to_report", &["-", "-", "-"]),
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn engine(matching: RuleMatching) -> Engine {
    let rules = RuleSet::load(&[default_rules()]).unwrap_or_else(|e| panic!("{e}"));
    let settings = AlertSettings {
        hostname: "minikube".into(),
        time_format_iso8601: false,
    };
    Engine::new(rules, matching, settings)
}

/// The alerts of every event of fixture `name`, as Falco JSON.
fn run(name: &str, engine: &Engine) -> (Vec<Vec<String>>, Value) {
    let body = std::fs::read(fixtures().join(format!("{name}.json"))).expect("fixture");
    let parsed = parse_body(&body, &BodyLimits::default()).expect("a valid body");
    assert!(parsed.skipped.is_empty(), "{name}: {:?}", parsed.skipped);
    let mut rules = Vec::new();
    let mut alerts = Vec::new();
    for event in &parsed.events {
        let raised = engine.evaluate(event);
        rules.push(raised.iter().map(|a| a.rule.clone()).collect());
        alerts.extend(raised.iter().map(falco_json));
    }
    (rules, Value::Array(alerts))
}

fn check_golden(path: &Path, actual: &Value) {
    let text = serde_json::to_string_pretty(actual).expect("JSON") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &text).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(text, expected, "{}", path.display());
}

#[test]
fn each_fixture_raises_the_expected_rules_and_exact_alerts() {
    let first = engine(RuleMatching::First);
    for (name, expected) in EXPECTED {
        let (rules, alerts) = run(name, &first);
        let fired: Vec<String> = rules
            .iter()
            .map(|r| r.first().cloned().unwrap_or_else(|| "-".into()))
            .collect();
        assert_eq!(fired, *expected, "{name}");
        assert!(rules.iter().all(|r| r.len() <= 1), "{name}: {rules:?}");
        check_golden(&fixtures().join(format!("{name}.alerts.json")), &alerts);
    }
}

#[test]
fn with_rule_matching_all_every_matching_rule_fires() {
    let all = engine(RuleMatching::All);
    for (name, expected) in EXPECTED {
        let (rules, alerts) = run(name, &all);
        for (fired, first) in rules.iter().zip(expected.iter()) {
            if *first == "-" {
                assert!(fired.is_empty(), "{name}: {fired:?}");
            } else {
                assert_eq!(fired.first().map(String::as_str), Some(*first), "{name}");
            }
        }
        check_golden(&fixtures().join(format!("{name}.all.alerts.json")), &alerts);
    }
}

#[test]
fn the_worked_example_gives_the_reference_alert() {
    let (_, alerts) = run("configmap_aws_credentials", &engine(RuleMatching::First));
    let expected = serde_json::json!([{
        "hostname": "minikube",
        "output": "09:21:07.418790000: Warning K8s configmap with private credential (user=minikube-user verb=create resource=configmaps configmap=aws-creds)",
        "output_fields": {
            "evt.time": 1715678467418790000_i64,
            "ka.req.configmap.name": "aws-creds",
            "ka.target.resource": "configmaps",
            "ka.user.name": "minikube-user",
            "ka.verb": "create"
        },
        "priority": "Warning",
        "rule": "Create/Modify Configmap With Private Credentials",
        "source": "k8s_audit",
        "tags": ["k8s"],
        "time": "2024-05-14T09:21:07.418790000Z"
    }]);
    assert_eq!(alerts, expected);
    // With `all`, the activity stream's "K8s ConfigMap Created" follows, as in Falco.
    let (rules, _) = run("configmap_aws_credentials", &engine(RuleMatching::All));
    assert_eq!(
        rules[0],
        [
            "Create/Modify Configmap With Private Credentials",
            "K8s ConfigMap Created"
        ]
    );
}
