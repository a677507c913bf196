//! Golden encoding and contract tests against the recording sink: method, path, headers,
//! exact bodies, and how HEC's answers are classified.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use falconer_config::{CommonSettings, GlobalSettings, OutputEntry};
use falconer_core::{Alert, BuildContext, Output, Retry};
use falconer_event::{parse_time, Enricher};
use falconer_testkit::{RecordingSink, Reply, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::json;

use super::{epoch_seconds, HecEncoder, KIND};

fn entry(settings: serde_json::Value) -> OutputEntry {
    OutputEntry {
        name: "splunk".into(),
        kind: "splunk".into(),
        path: "splunk".into(),
        common: CommonSettings::default(),
        settings,
    }
}

async fn build(settings: serde_json::Value) -> Arc<dyn Output> {
    KIND.prepare(&entry(settings))
        .expect("valid config")
        .build(BuildContext {
            name: "splunk".into(),
            path: "splunk".into(),
            global: Arc::new(GlobalSettings::default()),
            resources: falconer_core::Resources::default(),
        })
        .await
        .expect("builds")
}

fn alert(json: &str, n: u128) -> Arc<Alert> {
    let mut a = Alert::decode(json.as_bytes()).unwrap();
    Enricher::new(&GlobalSettings::default().enrich_settings())
        .unwrap()
        .enrich(&mut a, uuid::Uuid::from_u128(n));
    Arc::new(a)
}

/// Compares `got` with `tests/fixtures/splunk/<name>`; `UPDATE_GOLDEN=1` rewrites the file.
fn golden(name: &str, got: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/splunk")
        .join(name);
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        String::from_utf8_lossy(got),
        String::from_utf8_lossy(&want),
        "golden {name}"
    );
}

/// falcosidekick's body, built the way its Go code builds it (`json.Marshal` of
/// `{Event, SourceType}`): the payload JSON inside `{"event":…,"sourcetype":"falcosidekick"}`.
fn falcosidekick_body(a: &Alert) -> Vec<u8> {
    let mut want = b"{\"event\":".to_vec();
    want.extend_from_slice(a.to_json());
    want.extend_from_slice(b",\"sourcetype\":\"falcosidekick\"}");
    want
}

#[tokio::test]
async fn one_alert_without_falconers_keys_is_falcosidekicks_request_byte_for_byte() {
    let sink = RecordingSink::start().await;
    let out = build(json!({
        "host": sink.url("/services/collector/event"),
        "token": "00000000-1111-2222-3333-444444444444",
        "sendtime": false,
    }))
    .await;
    let a = alert(CONFIGMAP_ALERT, 1);
    out.send(std::slice::from_ref(&a)).await.expect("delivered");
    let requests = sink.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/services/collector/event")
    );
    assert_eq!(r.query, None);
    assert_eq!(
        r.header("authorization"),
        Some("Splunk 00000000-1111-2222-3333-444444444444")
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.body.as_ref(), falcosidekick_body(&a).as_slice());
    golden("hec-compat-single.json", &r.body);
}

#[tokio::test]
async fn by_default_the_event_carries_the_alerts_time() {
    let sink = RecordingSink::start().await;
    let out = build(json!({"host": sink.url("/services/collector/event"), "token": "t"})).await;
    let a = alert(CONFIGMAP_ALERT, 1);
    out.send(std::slice::from_ref(&a)).await.expect("delivered");
    let r = &sink.requests()[0];
    golden("hec-default-single.json", &r.body);
    let mut want = falcosidekick_body(&a);
    want.pop();
    want.extend_from_slice(b",\"time\":1715678467.418790}");
    assert_eq!(r.text(), String::from_utf8(want).unwrap());
}

#[tokio::test]
async fn a_batch_is_one_request_of_concatenated_events_with_index_and_source() {
    let sink = RecordingSink::start().await;
    let out = build(json!({
        "host": sink.url("/services/collector/event"),
        "token": "t0k3n",
        "index": "falco",
        "sourcetype": "falco:alert",
        "source": "falconer-eu",
        "customheaders": {"X-Cluster": "prod-eu", "Authorization": "Bearer ignored"},
    }))
    .await;
    let batch = [
        alert(CONFIGMAP_ALERT, 1),
        alert(SHELL_ALERT, 2),
        alert(CONFIGMAP_ALERT, 3),
    ];
    out.send(&batch).await.expect("delivered");
    let requests = sink.requests();
    assert_eq!(requests.len(), 1, "one request for the batch");
    let r = &requests[0];
    assert_eq!(r.header("authorization"), Some("Splunk t0k3n"));
    assert_eq!(r.header("x-cluster"), Some("prod-eu"));
    golden("hec-batch.json", &r.body);
    // HEC reads a stream of objects: parse them back one by one.
    let events: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&r.body)
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("concatenated JSON objects");
    assert_eq!(events.len(), 3);
    for (e, a) in events.iter().zip(&batch) {
        assert_eq!(e["index"], "falco");
        assert_eq!(e["sourcetype"], "falco:alert");
        assert_eq!(e["source"], "falconer-eu");
        assert_eq!(e["event"]["uuid"].as_str(), Some(a.uuid.as_str()));
        assert_eq!(
            serde_json::to_vec(&e["event"]).unwrap(),
            serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(a.to_json()).unwrap())
                .unwrap()
        );
    }
    assert_eq!(events[1]["time"].to_string(), "1715704316.746609");
}

#[tokio::test]
async fn compression_gzips_the_body() {
    let sink = RecordingSink::start().await;
    let out = build(json!({
        "host": sink.url("/services/collector/event"),
        "enablecompression": true,
        "sendtime": false,
    }))
    .await;
    let a = alert(SHELL_ALERT, 1);
    out.send(std::slice::from_ref(&a)).await.expect("delivered");
    let r = &sink.requests()[0];
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("authorization"), None, "no token, no header");
    assert_eq!(r.decoded_body(), falcosidekick_body(&a));
}

#[test]
fn event_time_is_epoch_seconds_with_microseconds() {
    let t = |s: &str| epoch_seconds(&parse_time(s).unwrap());
    assert_eq!(t("2024-05-14T09:21:07.418790123Z"), "1715678467.418790");
    assert_eq!(t("2024-05-14T11:21:07+02:00"), "1715678467.000000");
    assert_eq!(t("1970-01-01T00:00:00.5Z"), "0.500000");
    assert_eq!(t("1969-12-31T23:59:59.5Z"), "-0.500000");
}

#[test]
fn an_empty_sourcetype_is_left_out() {
    let e = HecEncoder {
        sourcetype: String::new(),
        ..HecEncoder::default()
    };
    let a = alert(CONFIGMAP_ALERT, 1);
    let mut want = b"{\"event\":".to_vec();
    want.extend_from_slice(a.to_json());
    want.push(b'}');
    assert_eq!(e.encode(&[a]), want);
}

#[tokio::test]
async fn hecs_answers_are_classified_with_its_text_as_the_reason() {
    let sink = RecordingSink::start().await;
    sink.script([
        Reply::status(503)
            .header("Retry-After", "3")
            .body(r#"{"text":"Server is busy","code":9}"#),
        Reply::status(429).body("Too Many Requests"),
        Reply::status(500).body(r#"{"text":"Internal server error","code":8}"#),
        Reply::status(400).body(r#"{"text":"Incorrect index","code":7,"invalid-event-number":1}"#),
        Reply::status(401).body(r#"{"text":"Token is required","code":2}"#),
        Reply::status(403).body(r#"{"text":"Invalid token","code":4}"#),
        Reply::status(200).body(r#"{"text":"Success","code":0}"#),
    ]);
    let out = build(json!({"host": sink.url("/services/collector/event"), "token": "t"})).await;
    let a = [alert(CONFIGMAP_ALERT, 1)];

    let e = out.send(&a).await.unwrap_err();
    assert_eq!(
        (e.retry(), e.label()),
        (Retry::After(Duration::from_secs(3)), "http_5xx")
    );
    assert!(
        e.to_string().ends_with("Server is busy (HEC code 9)"),
        "{e}"
    );
    let e = out.send(&a).await.unwrap_err();
    assert_eq!((e.retry(), e.label()), (Retry::Backoff, "http_429"));
    let e = out.send(&a).await.unwrap_err();
    assert_eq!((e.retry(), e.label()), (Retry::Backoff, "http_5xx"));
    let e = out.send(&a).await.unwrap_err();
    assert_eq!((e.retry(), e.label()), (Retry::Never, "http_4xx"));
    assert_eq!(
        e.to_string(),
        "destination returned 400 Bad Request: Incorrect index (HEC code 7, event 1 of the batch)"
    );
    let e = out.send(&a).await.unwrap_err();
    assert_eq!(e.retry(), Retry::Never);
    assert_eq!(
        e.to_string(),
        "destination returned 401 Unauthorized: Token is required (HEC code 2)"
    );
    let e = out.send(&a).await.unwrap_err();
    assert_eq!(e.retry(), Retry::Never);
    assert_eq!(
        e.to_string(),
        "destination returned 403 Forbidden: Invalid token (HEC code 4)"
    );
    out.send(&a).await.expect("200 is success");
    assert_eq!(sink.requests().len(), 7, "one request per attempt");
}

#[tokio::test]
async fn healthcheck_gets_hecs_health_endpoint() {
    let sink = RecordingSink::start().await;
    sink.script([
        Reply::status(200).body(r#"{"text":"HEC is healthy","code":17}"#),
        Reply::status(503).body(r#"{"text":"HEC is unhealthy, queues are full","code":18}"#),
    ]);
    let out = build(json!({"host": sink.url("/services/collector/event"), "token": "t"})).await;
    out.healthcheck().await.expect("healthy");
    let e = out.healthcheck().await.unwrap_err();
    assert!(
        e.to_string().contains("queues are full (HEC code 18)"),
        "{e}"
    );
    let r = &sink.requests()[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("GET", "/services/collector/health")
    );
}

#[test]
fn validation_reports_every_problem_with_its_path() {
    let errors = KIND
        .prepare(&entry(json!({
            "host": "splunk:8088",
            "token": "bad\ntoken",
            "customheaders": {"Bad Header": "x"},
        })))
        .err()
        .expect("invalid");
    let text: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        vec![
            "splunk.host: scheme \"splunk\" is not http or https",
            "splunk.token: not a valid header value",
            "splunk.customheaders.Bad Header: invalid header name or value",
        ]
    );
    let unknown = KIND
        .prepare(&entry(json!({"host": "http://s", "indexes": "x"})))
        .err()
        .expect("unknown key");
    assert!(unknown.0[0].to_string().contains("indexes"), "{unknown:?}");
    let d = KIND
        .prepare(&entry(
            json!({"host": "https://s:8088/services/collector/event"}),
        ))
        .expect("valid")
        .defaults();
    assert_eq!(
        (d.max_batch, d.batch_bytes, d.linger),
        (100, 1 << 20, Duration::from_secs(1))
    );
}

#[test]
fn debug_output_hides_the_token_and_header_values() {
    let config: super::SplunkConfig = falconer_config::from_value(json!({
        "host": "https://s:8088/services/collector/event",
        "token": "s3cr3t-t0k3n",
        "customheaders": {"X-Api-Key": "h34d3r"},
    }))
    .unwrap();
    let text = format!("{config:?}");
    assert!(
        !text.contains("s3cr3t") && !text.contains("h34d3r"),
        "{text}"
    );
}
