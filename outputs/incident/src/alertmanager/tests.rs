//! Alerts, label names, drop buckets, HA rule and validation, without a server.

use std::sync::Arc;
use std::time::Duration;

use falconer_core::{Alert, OutputConfig, Retry, SendError};
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use super::config::AlertmanagerConfig;
use super::encode::{label_name, AlertmanagerEncoder};
use super::output::decide;

fn config(v: Value) -> AlertmanagerConfig {
    falconer_config::from_value(v).expect("valid config")
}

fn encoder(v: Value) -> AlertmanagerEncoder {
    config(v).encoder().expect("valid encoder")
}

/// `tests/fixtures/alertmanager`, compared with [`assert_golden`]; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/alertmanager");

fn one(enc: &AlertmanagerEncoder, alert: &Arc<Alert>) -> Value {
    let body = enc.body(std::slice::from_ref(alert)).expect("encodes");
    let v: Value = serde_json::from_slice(&body).expect("JSON");
    v[0].clone()
}

const DROP_ALERT: &str = r#"{"hostname":"node-2","output":"Falco internal: syscall event drop. 815508 system calls dropped in last second.","priority":"Debug","rule":"Falco internal: syscall event drop","time":"2024-05-14T16:31:56Z","source":"internal","output_fields":{"ebpf_enabled":"1","n_drops":"815508","n_drops_buffer":"0","n_drops_pf":"5","n_drops_scratch_map":"x","n_evts":"9000"}}"#;

/// `tests/fixtures/alertmanager/single.json` and `configmap.json` (one alert, default settings:
/// falcosidekick's body) and
/// `batch.json` (two alerts with extra labels and annotations, a custom severity,
/// `expiresafter` and `sendstartsat`). `UPDATE_GOLDEN=1` rewrites them.
#[test]
fn bodies_are_as_in_the_golden_files() {
    let enc = encoder(json!({"hostport": "http://am:9093"}));
    assert_golden(
        FIXTURES,
        "single.json",
        enc.body(&[enriched(SHELL_ALERT, 1)]).expect("encodes"),
    );
    assert_golden(
        FIXTURES,
        "configmap.json",
        enc.body(&[enriched(CONFIGMAP_ALERT, 1)]).expect("encodes"),
    );
    let enc = encoder(json!({
        "hostport": "http://am:9093",
        "expiresafter": 600,
        "extralabels": {"cluster": "prod", "source": "falconer"},
        "extraannotations": {"runbook": "https://runbooks/falco", "summary": "overridden"},
        "customseveritymap": {"warning": "page", "Critical": "sev1"},
        "sendstartsat": true,
    }));
    let batch = vec![enriched(CONFIGMAP_ALERT, 1), enriched(SHELL_ALERT, 2)];
    assert_golden(FIXTURES, "batch.json", enc.body(&batch).expect("encodes"));
}

#[test]
fn one_alert_has_falcosidekicks_labels_annotations_and_zero_ends_at() {
    let enc = encoder(json!({"hostport": "http://am:9093"}));
    let body = enc.body(&[enriched(CONFIGMAP_ALERT, 1)]).expect("encodes");
    assert_eq!(body.last(), Some(&b'\n'));
    let text = String::from_utf8(body).expect("utf-8");
    assert!(
        text.starts_with(r#"[{"labels":{"alertname":"Create/Modify"#),
        "{text}"
    );
    let a: Value = serde_json::from_str(&text).expect("JSON");
    let a = &a[0];
    assert_eq!(
        a["labels"],
        json!({
            "alertname": "Create/Modify Configmap With Private Credentials",
            "evt_time": "1715678467418790000",
            "eventsource": "k8s_audit",
            "hostname": "minikube",
            "ka_req_configmap_name": "aws-creds",
            "ka_target_resource": "configmaps",
            "ka_user_name": "minikube-user",
            "ka_verb": "create",
            "priority": "Warning",
            "rule": "Create/Modify Configmap With Private Credentials",
            "severity": "warning",
            "source": "falco",
            "tags": "k8s",
        })
    );
    assert_eq!(a["annotations"]["summary"], a["labels"]["rule"]);
    assert_eq!(a["annotations"]["info"], a["annotations"]["description"]);
    assert_eq!(a["endsAt"], "0001-01-01T00:00:00Z");
    assert!(a.get("startsAt").is_none());
}

#[test]
fn label_names_are_sanitised_like_falcosidekick() {
    assert_eq!(label_name("k8s.ns.name"), "k8s_ns_name");
    assert_eq!(label_name("proc.aname[2]"), "proc_aname_2");
    assert_eq!(label_name("evt.arg.flags"), "evt_arg_flags");
    assert_eq!(label_name("a..b"), "a_b");
    // One pass of ReplaceAll("__", "_"), as in Go: three become two.
    assert_eq!(label_name("a...b"), "a__b");
    assert_eq!(label_name("_x.y_"), "x_y");
    assert_eq!(label_name("ünï.code"), "n_code");
}

#[test]
fn invalid_label_names_and_non_scalar_fields_are_left_out() {
    let json = SHELL_ALERT.replace(
        r#""container.id":"5f3c1b2a9d8e","#,
        r#""container.id":"5f3c1b2a9d8e","1st.try":"x","...":"y","flag":true,"list":["a"],"#,
    );
    let a = one(
        &encoder(json!({"hostport": "http://am"})),
        &enriched(&json, 1),
    );
    let labels = a["labels"].as_object().expect("labels");
    assert!(!labels.contains_key("1st_try") && !labels.contains_key(""));
    assert!(!labels.contains_key("flag") && !labels.contains_key("list"));
    assert!(!labels.contains_key("user_uid"), "null values are skipped");
    assert_eq!(labels["ratio"], "1.50", "numbers keep their digits");
    assert_eq!(labels["container_id"], "5f3c1b2a9d8e");
}

#[test]
fn drop_counters_are_bucketed_and_raise_the_priority() {
    let enc = encoder(json!({"hostport": "http://am"}));
    let a = one(&enc, &enriched(DROP_ALERT, 1));
    let labels = &a["labels"];
    assert_eq!(labels["n_drops"], ">10000");
    assert_eq!(labels["n_drops_buffer"], "0");
    assert_eq!(labels["n_drops_pf"], ">1");
    assert!(
        labels.get("n_drops_scratch_map").is_none(),
        "not an integer"
    );
    assert!(labels.get("n_evts").is_none());
    assert_eq!(labels["ebpf_enabled"], "1");
    assert_eq!(labels["priority"], "Critical");
    assert_eq!(labels["severity"], "critical");

    // No threshold matches: the raw value, and the default priority.
    let enc = encoder(json!({
        "hostport": "http://am",
        "dropeventthresholds": "1000000:alert",
        "dropeventdefaultpriority": "error",
    }));
    let json = DROP_ALERT.replace(r#""n_drops":"815508""#, r#""n_drops":"7""#);
    let a = one(&enc, &enriched(&json, 1));
    assert_eq!(a["labels"]["n_drops"], "7");
    assert_eq!(a["labels"]["priority"], "Error");
    // A number (not Falco's string form) is bucketed too, beyond i64.
    let a = one(&enc, &enriched(SHELL_ALERT, 1));
    assert_eq!(a["labels"]["n_drops"], ">1000000");
    assert_eq!(a["labels"]["priority"], "Alert");
    // A zero count raises to Warning only.
    let json = DROP_ALERT.replace(r#""n_drops":"815508""#, r#""n_drops":"0""#);
    let json = json.replace(r#""n_drops_pf":"5""#, r#""n_drops_pf":"0""#);
    let a = one(&encoder(json!({"hostport": "x"})), &enriched(&json, 1));
    assert_eq!(a["labels"]["priority"], "Warning");
}

#[test]
fn severity_map_extras_and_expiry() {
    let enc = encoder(json!({
        "hostport": "http://am",
        "customseveritymap": {"notice": "low"},
        "extralabels": "team:sec,rule:mine",
        "extraannotations": {"info": "see runbook"},
        "expiresafter": "90",
    }));
    let a = one(
        &enc,
        &enriched(SHELL_ALERT.replace("n_drops", "x").as_str(), 1),
    );
    assert_eq!(a["labels"]["severity"], "low");
    assert_eq!(a["labels"]["team"], "sec");
    assert_eq!(a["labels"]["rule"], "mine", "extralabels override");
    assert_eq!(a["labels"]["alertname"], "Terminal shell in container");
    assert_eq!(a["annotations"]["info"], "see runbook");
    assert_eq!(a["endsAt"], "2024-05-14T16:33:26.746609046Z");
}

fn status(code: u16) -> SendError {
    SendError::Status {
        status: reqwest::StatusCode::from_u16(code).expect("status"),
        body: String::new(),
        retry_after: None,
    }
}

#[test]
fn ha_rule_one_host_is_enough_unless_all_are_required() {
    let results = || vec![("a".to_owned(), Ok(())), ("b".to_owned(), Err(status(503)))];
    assert!(decide(results(), false).is_ok());
    let e = decide(results(), true).expect_err("b failed");
    assert_eq!(e.retry(), Retry::Backoff);

    // None accepted: retried when any host may take it later, final when all refused.
    let mixed = vec![
        ("a".to_owned(), Err(status(400))),
        (
            "b".to_owned(),
            Err(SendError::Timeout(Duration::from_secs(1))),
        ),
    ];
    assert_eq!(
        decide(mixed, false).expect_err("none").retry(),
        Retry::Backoff
    );
    let refused = vec![
        ("a".to_owned(), Err(status(400))),
        ("b".to_owned(), Err(status(400))),
    ];
    assert_eq!(
        decide(refused, false).expect_err("none").retry(),
        Retry::Never
    );
}

#[test]
fn defaults_are_falcosidekicks() {
    let c = config(json!({"hostport": "http://a:9093/, http://b:9093"}));
    let urls: Vec<String> = c
        .urls()
        .expect("urls")
        .iter()
        .map(|u| u.to_string())
        .collect();
    assert_eq!(
        urls,
        ["http://a:9093/api/v2/alerts", "http://b:9093/api/v2/alerts"]
    );
    assert_eq!(c.expiresafter, 0);
    assert_eq!(c.dropeventdefaultpriority, "critical");
    assert!(c.http.checkcert && !c.http.mutualtls && !c.requireallhosts && !c.sendstartsat);
    let enc = c.encoder().expect("encoder");
    let values: Vec<i128> = enc.thresholds.iter().map(|t| t.0).collect();
    assert_eq!(values, [10000, 1000, 100, 10, 1]);
    let mut problems = falconer_core::Problems::default();
    c.validate(&mut problems);
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn every_problem_is_reported_with_its_key() {
    let mut problems = falconer_core::Problems::default();
    config(json!({
        "hostport": ["ftp://am"],
        "endpoint": "api/v2/alerts",
        "extralabels": {"bad-name": "x"},
        "customseveritymap": {"urgent": "x"},
        "dropeventdefaultpriority": "loud",
        "dropeventthresholds": "10:critical, x:warning",
        "customheaders": {"bad header": "x"},
    }))
    .validate(&mut problems);
    let keys: Vec<&str> = problems.paths().collect();
    assert_eq!(
        keys,
        [
            "hostport",
            "endpoint",
            "extralabels.bad-name",
            "customseveritymap.urgent",
            "dropeventdefaultpriority",
            "dropeventthresholds",
            "customheaders.bad header"
        ]
    );
    let mut problems = falconer_core::Problems::default();
    config(json!({"hostport": ""})).validate(&mut problems);
    assert_eq!(problems.0[0].path, "hostport");
}
