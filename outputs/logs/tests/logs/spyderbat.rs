//! Against the recording sink: the source looked up and created, then the gzipped NDJSON
//! records (Bearer auth); an alert without `proc.pid` dead-lettered, the classification of
//! answers, the env variables.

use std::sync::Arc;

use falconer_core::Alert;
use falconer_http::contract::{launch, quick, WAIT};
use falconer_outputs_logs::spyderbat::{SpyderbatConfig, KIND};
use falconer_testkit::{enriched, RecordingSink, Reply, SHELL_ALERT};
use serde_json::json;

use crate::from_env;

/// A syscall alert with the numeric `evt.time` and `proc.pid` Spyderbat needs.
const SPAWN_ALERT: &str = r#"{"hostname":"node-1","output":"16:31:56.746609046: Notice A shell was spawned (user=root)","priority":"Notice","rule":"Terminal shell in container","time":"2024-05-14T16:31:56.746609046Z","source":"syscalls","output_fields":{"container.id":"5f3c1b2a9d8e","evt.time":1715704316746609046,"proc.cmdline":"bash","proc.pid":48213}}"#;

fn spawn(n: u128) -> Arc<Alert> {
    enriched(SPAWN_ALERT, n)
}

fn settings(sink: &RecordingSink) -> serde_json::Value {
    json!({"orguid": "ORG1", "apikey": "k3y", "apiurl": sink.url(""), "sourcedescription": "Falco"})
}

#[tokio::test]
async fn the_source_is_created_then_records_are_sent_gzipped() {
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(200).body(r#"[{"uid":"someone_else"}]"#)]);
    let env = launch(KIND, settings(&sink), quick(10)).await;
    env.dispatcher.dispatch(spawn(1)).await;
    env.dispatcher.dispatch(spawn(2)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());
    let got = sink.requests();
    let calls: Vec<(&str, &str)> = got
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            ("GET", "/api/v1/org/ORG1/source/"),
            ("POST", "/api/v1/org/ORG1/source/"),
            (
                "POST",
                "/api/v1/org/ORG1/source/falcosidekick_ORG1/data/sb-agent"
            ),
        ]
    );
    assert!(got
        .iter()
        .all(|r| r.header("authorization") == Some("Bearer k3y")));
    assert_eq!(
        got[1].text(),
        "{\"name\":\"falcosidekick\",\"description\":\"Falco\",\"uid\":\"falcosidekick_ORG1\"}\n"
    );
    let data = &got[2];
    assert_eq!(data.header("content-type"), Some("application/ndjson"));
    assert_eq!(data.header("content-encoding"), Some("gzip"));
    let text = data.decoded_text();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], spawn(1).uuid.as_str());
    assert_eq!(lines[1]["pid"], 48213);
    assert_eq!(lines[1]["schema"], "falco_alert::1.0.0");
}

#[tokio::test]
async fn an_existing_source_is_used_and_an_alert_without_pid_is_a_dead_letter() {
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(200).body(r#"[{"uid":"falcosidekick_ORG1"}]"#)]);
    let env = launch(KIND, settings(&sink), quick(10)).await;
    env.dispatcher.dispatch(spawn(1)).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 2)).await;
    env.dispatcher.shutdown(WAIT).await;
    let got = sink.requests();
    assert_eq!(got.len(), 2, "no source created");
    assert_eq!(got[1].decoded_text().lines().count(), 1);
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(
        letters[0].meta.error.contains("proc.pid"),
        "{}",
        letters[0].meta.error
    );
}

#[tokio::test]
async fn a_503_is_retried_and_a_401_is_final() {
    let sink = RecordingSink::start().await;
    sink.script([
        Reply::status(200).body(r#"[{"uid":"falcosidekick_ORG1"}]"#),
        Reply::status(503).body("overloaded"),
        Reply::status(200),
        Reply::status(401).body("invalid token"),
    ]);
    let env = launch(KIND, settings(&sink), quick(1)).await;
    env.dispatcher.dispatch(spawn(1)).await;
    sink.wait_for(3, WAIT).await;
    env.dispatcher.dispatch(spawn(2)).await;
    env.dispatcher.shutdown(WAIT).await;
    let got = sink.requests();
    assert_eq!(got.len(), 4, "the 503 retried, the 401 not");
    // A retry sends the same record, but for the send time (`orc_time`, `monotonic_time`).
    let record = |r: &falconer_testkit::RecordedRequest| {
        let mut v: serde_json::Value = serde_json::from_str(&r.decoded_text()).expect("JSON");
        let fields = v.as_object_mut().expect("record");
        assert!(fields.remove("orc_time").is_some() && fields.remove("monotonic_time").is_some());
        v
    };
    assert_eq!(
        record(&got[1]),
        record(&got[2]),
        "a retry sends the same record"
    );
    assert_eq!(record(&got[1])["id"], spawn(1).uuid.as_str());
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(letters[0].meta.error.contains("invalid token"));
}

#[test]
fn env_variables_configure_the_block() {
    let settings = from_env(
        KIND,
        &[
            ("SPYDERBAT_ORGUID", "ORG1"),
            ("SPYDERBAT_APIKEY", "k3y"),
            ("SPYDERBAT_APIURL", "https://api.eu.spyderbat.com"),
        ],
    );
    let c: SpyderbatConfig = falconer_config::from_value(settings).expect("reads");
    assert_eq!(
        c.data_url().expect("URL").as_str(),
        "https://api.eu.spyderbat.com/api/v1/org/ORG1/source/falcosidekick_ORG1/data/sb-agent"
    );
}
