//! Golden records (a fixed clock), required fields, URLs, the source list, validation.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use falconer_core::Alert;
use falconer_http::contract::assert_rejected;
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, SHELL_ALERT};
use serde_json::json;

use super::output::has_source;
use super::{record, RecordError, SpyderbatConfig, KIND};

/// `tests/fixtures/spyderbat`; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spyderbat");

/// A syscall alert with the numeric `evt.time` and `proc.pid` Spyderbat needs.
pub(crate) const SPAWN_ALERT: &str = r#"{"hostname":"node-1","output":"16:31:56.746609046: Notice A shell was spawned in a container with an attached terminal (user=root container_id=5f3c1b2a9d8e)","priority":"Notice","rule":"Terminal shell in container","time":"2024-05-14T16:31:56.746609046Z","source":"syscalls","tags":["container","shell"],"output_fields":{"container.id":"5f3c1b2a9d8e","evt.time":1715704316746609046,"proc.cmdline":"bash -i","proc.pid":48213,"user.name":"root"}}"#;

fn clock() -> SystemTime {
    UNIX_EPOCH + Duration::new(1_715_704_317, 250_000_000)
}

#[test]
fn records_are_falcosidekicks() {
    let alert = enriched(SPAWN_ALERT, 1);
    let line = record(&alert, clock()).expect("record");
    assert_golden(FIXTURES, "record.ndjson", &line);
    let v: serde_json::Value = serde_json::from_slice(&line).expect("JSON");
    assert_eq!(v["schema"], "falco_alert::1.0.0");
    assert_eq!(v["time"], 1_715_704_316_i64);
    assert_eq!(v["pid"], 48213);
    assert_eq!(v["level"], "low");
    assert_eq!(v["msg"][0], "A");
    assert_eq!(v["id"], alert.uuid.as_str());
    assert_eq!(v["monotonic_time"], 250_000_000);
    let whole = record(&alert, UNIX_EPOCH + Duration::from_secs(1_715_704_317)).expect("record");
    assert!(String::from_utf8_lossy(&whole).contains(r#""orc_time":1715704317,"#));
}

#[test]
fn alerts_without_evt_time_or_proc_pid_cannot_be_records() {
    let shell = enriched(SHELL_ALERT, 1);
    assert_eq!(
        record(&shell, clock()),
        Err(RecordError::Missing {
            field: "proc.pid",
            rule: "Terminal shell in container".into()
        })
    );
    let no_time = SPAWN_ALERT.replace(r#""evt.time":1715704316746609046,"#, "");
    let no_time = Arc::new(Alert::decode(no_time.as_bytes()).expect("alert"));
    assert!(matches!(
        record(&no_time, clock()),
        Err(RecordError::Missing {
            field: "evt.time",
            ..
        })
    ));
    let short = SPAWN_ALERT.replace("16:31:56.746609046: Notice A shell was spawned in a container with an attached terminal (user=root container_id=5f3c1b2a9d8e)", "two words");
    let short = Arc::new(Alert::decode(short.as_bytes()).expect("alert"));
    let v: serde_json::Value =
        serde_json::from_slice(&record(&short, clock()).expect("record")).expect("JSON");
    assert!(v["msg"].is_null());
}

#[test]
fn urls_source_and_defaults_are_falcosidekicks() {
    let c: SpyderbatConfig =
        serde_json::from_value(json!({"orguid": "ORG1", "apikey": "k3y"})).expect("config");
    assert_eq!(
        c.sources_url().expect("URL").as_str(),
        "https://api.spyderbat.com/api/v1/org/ORG1/source/"
    );
    assert_eq!(
        c.data_url().expect("URL").as_str(),
        "https://api.spyderbat.com/api/v1/org/ORG1/source/falcosidekick_ORG1/data/sb-agent"
    );
    assert_eq!(
        String::from_utf8(c.source_body()).expect("UTF-8"),
        "{\"name\":\"falcosidekick\",\"description\":\"\",\"uid\":\"falcosidekick_ORG1\"}\n"
    );
    assert!(!format!("{c:?}").contains("k3y"));
    assert!(has_source(
        br#"[{"uid":"other"},{"uid":"falcosidekick_ORG1","name":"falcosidekick"}]"#,
        "falcosidekick_ORG1"
    ));
    assert!(!has_source(br#"[{"uid":"other"}]"#, "falcosidekick_ORG1"));
    assert!(!has_source(b"", "falcosidekick_ORG1"));
}

#[test]
fn every_problem_is_reported_with_its_path() {
    assert_rejected(
        KIND,
        "spyderbat",
        json!({"orguid": "a/b", "apiurl": "api.spyderbat.com"}),
        &["orguid", "apikey", "apiurl"],
    );
}
