//! Against a real Alertmanager (Debian's `prometheus-alertmanager`) on loopback: alerts are
//! posted through the delivery core, then read back with `GET /api/v2/alerts` and compared
//! (labels, annotations, `startsAt`, `endsAt`). A missing binary fails the tests.

use std::sync::Arc;
use std::time::Duration;

use super::support::AlertmanagerServer;
use chrono::{DateTime, FixedOffset, TimeDelta};
use falconer_core::Alert;
use falconer_http::contract::{launch, quick, WAIT};
use falconer_testkit::enriched;
use serde_json::{json, Value};

const KIND: falconer_core::OutputKind = falconer_outputs_incident::alertmanager::KIND;

/// A syscall alert happening now (so an `endsAt` after it is in the future), with rule `rule`.
fn alert_now(rule: &str, n: u128) -> Arc<Alert> {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let json = json!({
        "hostname": "node-1",
        "output": "A shell was spawned in a container <bash> & more (user=root)",
        "priority": "Warning",
        "rule": rule,
        "time": now,
        "source": "syscalls",
        "tags": ["shell", "container"],
        "output_fields": {
            "container.id": "5f3c1b2a9d8e",
            "proc.aname[2]": "containerd-shim",
            "k8s.ns.name": "default",
            "evt.num": 42,
            "n_evts": "1000",
            "user.uid": null
        }
    });
    enriched(&json.to_string(), n)
}

/// What the output posts for `alert` with `settings` (labels, annotations, times).
fn posted(settings: &Value, alert: &Arc<Alert>) -> Value {
    let config: falconer_outputs_incident::alertmanager::AlertmanagerConfig =
        falconer_config::from_value(settings.clone()).expect("config");
    let body = config
        .encoder()
        .expect("encoder")
        .body(std::slice::from_ref(alert))
        .expect("encodes");
    let v: Value = serde_json::from_slice(&body).expect("JSON");
    v[0].clone()
}

async fn deliver(settings: Value, alerts: &[Arc<Alert>]) {
    let env = launch(KIND, settings, quick(10)).await;
    for alert in alerts {
        env.dispatcher.dispatch(alert.clone()).await;
    }
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());
}

fn find<'a>(alerts: &'a [Value], rule: &str) -> &'a Value {
    alerts
        .iter()
        .find(|a| a["labels"]["rule"] == rule)
        .unwrap_or_else(|| panic!("no alert for rule {rule:?} in {alerts:?}"))
}

fn time(v: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(v.as_str().expect("a time string")).expect("RFC 3339")
}

/// Alertmanager keeps times to the millisecond.
fn assert_close(got: DateTime<FixedOffset>, want: DateTime<FixedOffset>, tolerance: TimeDelta) {
    let diff = (got - want).abs();
    assert!(diff <= tolerance, "{got} is {diff} away from {want}");
}

#[tokio::test]
async fn alerts_read_back_with_labels_annotations_and_times() {
    let am = AlertmanagerServer::start().await;
    let settings = json!({
        "hostport": am.url,
        "expiresafter": 3600,
        "extralabels": {"cluster": "prod"},
        "extraannotations": {"runbook": "https://runbooks.example/falco"},
        "customseveritymap": {"warning": "page"},
        "sendstartsat": true,
    });
    let alert = alert_now("Terminal shell in container", 1);
    deliver(settings.clone(), std::slice::from_ref(&alert)).await;

    let alerts = am.alerts().await;
    let got = find(&alerts, "Terminal shell in container");
    let want = posted(&settings, &alert);
    assert_eq!(got["labels"], want["labels"], "labels as posted");
    assert_eq!(
        got["annotations"], want["annotations"],
        "annotations as posted"
    );
    let labels = &got["labels"];
    assert_eq!(labels["alertname"], "Terminal shell in container");
    assert_eq!(labels["proc_aname_2"], "containerd-shim");
    assert_eq!(labels["k8s_ns_name"], "default");
    assert_eq!(labels["evt_num"], "42");
    assert_eq!(labels["tags"], "container,shell");
    assert_eq!(labels["severity"], "page");
    assert_eq!(labels["cluster"], "prod");
    assert!(labels.get("n_evts").is_none() && labels.get("user_uid").is_none());
    assert_eq!(
        got["annotations"]["info"],
        "A shell was spawned in a container <bash> & more (user=root)"
    );
    let ms = TimeDelta::milliseconds(1);
    assert_close(time(&got["startsAt"]), alert.time, ms);
    assert_close(
        time(&got["endsAt"]),
        alert.time + TimeDelta::seconds(3600),
        ms,
    );
    assert_eq!(got["status"]["state"], "active");
}

/// falcosidekick's defaults: no `startsAt` and the zero `endsAt`, which Alertmanager reads as
/// "now" and "now + resolve_timeout" (5 minutes).
#[tokio::test]
async fn without_expiry_alertmanager_applies_its_resolve_timeout() {
    let am = AlertmanagerServer::start().await;
    let settings = json!({"hostport": format!("{}/", am.url)});
    let alert = alert_now("Shell with defaults", 2);
    let before = chrono::Utc::now().fixed_offset();
    deliver(settings.clone(), std::slice::from_ref(&alert)).await;

    let alerts = am.alerts().await;
    let got = find(&alerts, "Shell with defaults");
    let want = posted(&settings, &alert);
    assert_eq!(want["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(got["labels"], want["labels"]);
    assert_eq!(got["annotations"], want["annotations"]);
    assert_eq!(got["labels"]["severity"], "warning");
    let starts = time(&got["startsAt"]);
    assert_close(starts, before, TimeDelta::seconds(30));
    assert_close(
        time(&got["endsAt"]),
        starts + TimeDelta::minutes(5),
        TimeDelta::seconds(1),
    );
}

/// Two Alertmanagers (an HA pair): each one has every alert of a batch.
#[tokio::test]
async fn every_alertmanager_of_a_cluster_has_the_alerts() {
    let a = AlertmanagerServer::start().await;
    let b = AlertmanagerServer::start().await;
    let settings = json!({"hostport": format!("{}, {}", a.url, b.url), "requireallhosts": true});
    let alerts = [alert_now("HA one", 3), alert_now("HA two", 4)];
    deliver(settings.clone(), &alerts).await;
    for am in [&a, &b] {
        let got = am.alerts().await;
        for (alert, rule) in alerts.iter().zip(["HA one", "HA two"]) {
            assert_eq!(
                find(&got, rule)["labels"],
                posted(&settings, alert)["labels"]
            );
        }
    }
}

/// A syscall-drop alert: the bucketed counters and the raised priority as Alertmanager keeps
/// them.
#[tokio::test]
async fn a_drop_alert_is_bucketed() {
    let am = AlertmanagerServer::start().await;
    let now = chrono::Utc::now().to_rfc3339();
    let json = json!({
        "output": "Falco internal: syscall event drop. 815508 system calls dropped in last second.",
        "priority": "Debug",
        "rule": "Falco internal: syscall event drop",
        "time": now,
        "source": "internal",
        "output_fields": {"n_drops": "815508", "n_drops_buffer": "0", "n_evts": "9000"}
    });
    let alert = enriched(&json.to_string(), 5);
    deliver(json!({"hostport": am.url}), std::slice::from_ref(&alert)).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let alerts = am.alerts().await;
    let got = find(&alerts, "Falco internal: syscall event drop");
    assert_eq!(got["labels"]["n_drops"], ">10000");
    assert_eq!(got["labels"]["n_drops_buffer"], "0");
    assert_eq!(got["labels"]["priority"], "Critical");
    assert_eq!(got["labels"]["severity"], "critical");
}
