//! The pure parts: which report, the result's fields, trimming and the summary.

use std::sync::Arc;

use falconer_core::Alert;
use falconer_event::Priority;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Map, Value};

use super::encode::{outcome, severity};
use super::*;
use falconer_event::go_value;

fn alert(source: &str, fields: Value) -> Arc<Alert> {
    let text = json!({"output": "o", "priority": "Warning", "rule": "r",
                      "time": "2024-05-14T16:31:56Z", "source": source, "output_fields": fields});
    enriched(&text.to_string(), 1)
}

#[test]
fn priorities_map_to_falcosidekicks_severities_and_outcomes() {
    let got: Vec<(&str, &str)> = Priority::ALL
        .iter()
        .map(|p| (severity(*p), outcome(*p)))
        .collect();
    assert_eq!(
        got,
        [
            ("info", "skip"),
            ("info", "skip"),
            ("low", "skip"),
            ("medium", "warn"),
            ("high", "fail"),
            ("critical", "fail"),
            ("critical", "fail"),
            ("critical", "fail"),
        ]
    );
}

#[test]
fn the_namespace_picks_the_report() {
    let ns = |s: &str| Scope::Namespace(s.into());
    assert_eq!(scope_of(&enriched(SHELL_ALERT, 1)), ns("default"));
    assert_eq!(scope_of(&enriched(CONFIGMAP_ALERT, 1)), Scope::Cluster);
    let audit = json!({"ka.target.namespace": "payments", "k8s.ns.name": "other"});
    assert_eq!(scope_of(&alert("k8s_audit", audit.clone())), ns("payments"));
    assert_eq!(scope_of(&alert("syscall", audit)), ns("other"));
    for missing in [
        json!(null),
        json!(""),
        json!("<NA>"),
        json!("Bad_Name"),
        json!(3),
    ] {
        let a = alert(
            "syscall",
            json!({"k8s.ns.name": missing, "proc.name": "sh"}),
        );
        assert_eq!(scope_of(&a), Scope::Cluster, "{missing}");
    }
}

#[test]
fn a_result_carries_the_alert() {
    let a = enriched(SHELL_ALERT, 1);
    let scope = scope_of(&a);
    let r = result_of(&a, &scope);
    assert_eq!(r["policy"], "Terminal shell in container");
    assert_eq!(r["rule"], "Terminal shell in container");
    assert_eq!(r["category"], CATEGORY);
    assert_eq!(r["source"], "Falco");
    assert_eq!(
        r["timestamp"],
        json!({"seconds": 1_715_704_316_i64, "nanos": 746_609_046})
    );
    assert_eq!(r["properties"]["n_drops"], "12345678901234567890");
    assert_eq!(r["properties"]["ratio"], "1.50");
    assert_eq!(r["properties"]["user.uid"], "<nil>");
    assert_eq!(r["message"], a.output.as_str());
}

#[test]
fn output_fields_print_as_go_prints_them() {
    assert_eq!(go_value(&json!(["a", 1, null]), "<nil>"), "[a 1 <nil>]");
    assert_eq!(
        go_value(&json!({"b": true, "a": "x"}), "<nil>"),
        "map[a:x b:true]"
    );
}

fn results(policies: &[(&str, &str, &str)]) -> Vec<Value> {
    policies
        .iter()
        .enumerate()
        .map(|(i, (p, sev, res))| {
            json!({"policy": p, "severity": sev, "result": res, "message": p,
                   "timestamp": {"seconds": i, "nanos": 0}})
        })
        .collect()
}

fn policies(data: &Map<String, Value>) -> Vec<String> {
    data["results"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|x| x["policy"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn merging_trims_oldest_first_and_recounts() {
    let trim = Trim {
        max: 3,
        by_priority: false,
    };
    let all = results(&[
        ("a", "high", "fail"),
        ("b", "low", "skip"),
        ("c", "medium", "warn"),
        ("d", "critical", "fail"),
        ("e", "info", "skip"),
    ]);
    let mut data = new_report(&all[..2], trim);
    merge(&mut data, &all[2..], trim);
    assert_eq!(policies(&data), ["c", "d", "e"]);
    assert_eq!(
        data["summary"],
        json!({"pass": 0, "fail": 1, "warn": 1, "error": 0, "skip": 1})
    );
}

#[test]
fn pruning_by_priority_keeps_high_and_critical_results() {
    let trim = Trim {
        max: 2,
        by_priority: true,
    };
    let all = results(&[
        ("a", "critical", "fail"),
        ("b", "medium", "warn"),
        ("c", "high", "fail"),
        ("d", "high", "fail"),
    ]);
    let mut data = new_report(&all[..2], trim);
    merge(&mut data, &all[2..3], trim);
    assert_eq!(policies(&data), ["a", "c"], "the medium one goes");
    merge(&mut data, &all[3..], trim);
    assert_eq!(policies(&data), ["c", "d"], "none low: the oldest goes");
}

#[test]
fn a_retried_result_is_not_added_twice() {
    let trim = Trim {
        max: 10,
        by_priority: false,
    };
    let all = results(&[("a", "high", "fail")]);
    let mut data = new_report(&all, trim);
    merge(&mut data, &all, trim);
    assert_eq!(policies(&data), ["a"]);
    assert_eq!(data["summary"]["fail"], 1);
}
