//! Golden events, time format and validation.

use falconer_http::contract::assert_rejected;
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::json;

use super::{rfc3339_nano, CloudEvent, CloudeventsConfig, KIND};

/// `tests/fixtures/cloudevents`; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cloudevents");

/// The event as text: one `name: value` line per header, a blank line, the body.
fn text(event: &CloudEvent) -> String {
    let mut out = String::new();
    for (name, value) in &event.headers {
        out.push_str(&format!(
            "{name}: {}\n",
            value.to_str().expect("visible header value")
        ));
    }
    out.push('\n');
    out.push_str(&String::from_utf8_lossy(&event.body));
    out.push('\n');
    out
}

fn config(v: serde_json::Value) -> CloudeventsConfig {
    serde_json::from_value(v).expect("config")
}

#[test]
fn events_are_falcosidekicks_binary_mode_requests() {
    let plain = config(json!({"address": "http://broker/"})).encoder();
    assert_golden(
        FIXTURES,
        "binary-shell.txt",
        text(&plain.encode(&enriched(SHELL_ALERT, 1))),
    );
    let extended = config(json!({"address": "http://broker/",
                                 "extensions": {"cluster": "prod-eu", "team": "secops"}}))
    .encoder();
    assert_golden(
        FIXTURES,
        "binary-configmap-extensions.txt",
        text(&extended.encode(&enriched(CONFIGMAP_ALERT, 2))),
    );
}

#[test]
fn the_body_is_the_payload_json_and_the_id_the_alerts_uuid() {
    let alert = enriched(SHELL_ALERT, 7);
    let event = config(json!({"address": "http://broker/"}))
        .encoder()
        .encode(&alert);
    assert_eq!(event.body, alert.json_bytes().to_vec());
    let id = event
        .headers
        .iter()
        .find(|(n, _)| n == "ce-id")
        .expect("ce-id");
    assert_eq!(id.1, alert.uuid.as_str());
}

#[test]
fn times_are_rfc3339_nano_in_utc() {
    let t = falconer_event::parse_time("2024-05-14T18:31:56.746609000+02:00").expect("time");
    assert_eq!(rfc3339_nano(&t), "2024-05-14T16:31:56.746609Z");
    let t = falconer_event::parse_time("2024-05-14T16:31:56Z").expect("time");
    assert_eq!(rfc3339_nano(&t), "2024-05-14T16:31:56Z");
}

#[test]
fn extension_names_are_lowercased_as_falcosidekick_reads_them() {
    let c = config(json!({"address": "http://broker/", "extensions": {"Cluster": "prod"}}));
    let mut problems = falconer_core::Problems::default();
    falconer_core::OutputConfig::validate(&c, &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    let event = c.encoder().encode(&enriched(SHELL_ALERT, 1));
    assert!(event
        .headers
        .iter()
        .any(|(n, v)| n == "ce-cluster" && v == "prod"));
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let text = assert_rejected(
        KIND,
        "cloudevents",
        json!({"address": "broker", "extensions": {"Bad_Name": "x", "time": "y", "ok": "a\nb"}}),
        &[
            "address",
            "extensions.Bad_Name",
            "extensions.time",
            "extensions.ok",
        ],
    );
    assert!(text.contains("lowercase letters and digits"), "{text}");
}
