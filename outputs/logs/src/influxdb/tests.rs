//! Line protocol and URLs, without a server.

use std::sync::Arc;

use falconer_core::Alert;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::json;

use super::config::InfluxDbConfig;
use super::encode::{point, Precision};
use super::output::body;

fn line(alert: &Alert) -> String {
    let mut out = String::new();
    point(alert, Precision::Ns, &mut out);
    out
}

fn config(v: serde_json::Value) -> InfluxDbConfig {
    serde_json::from_value(v).expect("valid config")
}

/// The committed golden body (`tests/fixtures/influxdb/write.lp`) is what a batch of the two sample
/// alerts sends. `UPDATE_GOLDEN=1` rewrites it.
#[test]
fn a_batch_is_one_point_per_alert_as_in_the_golden_file() {
    let batch: Vec<Arc<Alert>> = vec![enriched(CONFIGMAP_ALERT, 1), enriched(SHELL_ALERT, 2)];
    let got = body(&batch, Precision::Ns);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/influxdb/write.lp"
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &got).expect("write golden");
    }
    assert_eq!(got, std::fs::read_to_string(path).expect("golden file"));
}

#[test]
fn keys_values_and_strings_are_escaped_and_the_time_is_the_alerts() {
    let json = SHELL_ALERT
        .replace("Terminal shell in container", "Shell, in=container")
        .replace(
            "\"proc.cmdline\":\"bash\"",
            "\"proc.cmdline\":\"bash -c \\\"echo a\\\\b\\\"\\nnext\"",
        )
        .replace("\"user.name\":\"root\"", "\"user name\":\"ro,ot\\\\\"");
    let got = line(&enriched(&json, 3));
    assert!(
        got.starts_with("events,rule=Shell\\,\\ in\\=container,priority=Notice,source=syscalls,"),
        "{got}"
    );
    assert!(
        got.contains(",proc.cmdline=bash\\ -c\\ \"echo\\ a\\b\"\\ next,"),
        "{got}"
    );
    assert!(
        got.contains(",user\\ name=ro\\,ot,"),
        "a trailing backslash is dropped: {got}"
    );
    // Only string fields are tags; numbers, null and the fixed names are not.
    assert!(!got.contains("n_drops") && !got.contains("user.uid") && !got.contains("ratio"));
    assert!(got.contains(",hostname=node-1,tags=container_mitre_execution_shell value=\"16:31:56.746609046: Notice"), "{got}");
    assert!(got.ends_with(" 1715704316746609046\n"), "{got}");
    let mut ms = String::new();
    point(&enriched(&json, 3), Precision::Ms, &mut ms);
    assert!(ms.ends_with(" 1715704316746\n"), "{ms}");
}

#[test]
fn urls_follow_falcosidekicks_rule() {
    let v1 = config(json!({"hostport": "http://influx:8086/", "user": "u", "password": "p w"}));
    assert_eq!(
        v1.write_url().unwrap().as_str(),
        "http://influx:8086/write?db=falco&u=u&p=p+w&precision=ns"
    );
    let v2 = config(json!({
        "hostport": "https://influx:8086", "organization": "sec", "bucket": "alerts",
        "token": "t0k", "user": "u", "password": "p", "precision": "ms",
    }));
    assert_eq!(
        v2.write_url().unwrap().as_str(),
        "https://influx:8086/api/v2/write?org=sec&bucket=alerts&precision=ms"
    );
}

#[test]
fn every_problem_is_reported_with_its_key() {
    use falconer_core::OutputConfig;
    let mut problems = falconer_core::Problems::default();
    config(json!({"hostport": "ftp://x", "precision": "h", "database": ""}))
        .validate(&mut problems);
    let keys: Vec<&str> = problems.paths().collect();
    assert_eq!(keys, vec!["hostport", "precision", "database"]);
}
