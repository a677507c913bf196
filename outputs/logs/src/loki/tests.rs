//! Golden encoding and contract tests against the recording sink: method, path, headers,
//! exact (decompressed) bodies, and how Loki's answers are classified.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use falconer_config::{CommonSettings, GlobalSettings, OutputEntry};
use falconer_core::{Alert, BuildContext, Output, Retry, SendError};
use falconer_event::Enricher;
use falconer_testkit::{RecordingSink, Reply, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::json;

use super::{label_name, LokiEncoder, KIND};

fn entry(settings: serde_json::Value) -> OutputEntry {
    OutputEntry {
        name: "loki".into(),
        kind: "loki".into(),
        path: "loki".into(),
        common: CommonSettings::default(),
        settings,
    }
}

fn global() -> GlobalSettings {
    let mut g = GlobalSettings::default();
    g.customfields.insert("cluster".into(), "prod-eu".into());
    g
}

async fn build_with(settings: serde_json::Value, global: GlobalSettings) -> Arc<dyn Output> {
    KIND.prepare(&entry(settings))
        .expect("valid config")
        .build(BuildContext {
            name: "loki".into(),
            path: "loki".into(),
            global: Arc::new(global),
            resources: falconer_core::Resources::default(),
        })
        .await
        .expect("builds")
}

/// A sample alert, enriched with `global`'s settings, with `time` replaced when given.
fn alert_with(json: &str, n: u128, time: Option<&str>, global: &GlobalSettings) -> Arc<Alert> {
    let mut value: serde_json::Value = serde_json::from_str(json).unwrap();
    if let Some(t) = time {
        value["time"] = t.into();
    }
    let json = value.to_string();
    let mut a = Alert::decode(json.as_bytes()).unwrap();
    Enricher::new(&global.enrich_settings())
        .unwrap()
        .enrich(&mut a, uuid::Uuid::from_u128(n));
    Arc::new(a)
}

fn alert(json: &str, n: u128) -> Arc<Alert> {
    alert_with(json, n, None, &GlobalSettings::default())
}

/// Compares `got` with `tests/fixtures/loki/<name>`; `UPDATE_GOLDEN=1` rewrites the file.
fn golden(name: &str, got: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/loki")
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

#[tokio::test]
async fn one_alert_is_falcosidekicks_push_byte_for_byte() {
    let sink = RecordingSink::start().await;
    let out = build_with(
        json!({"hostport": sink.url(""), "enablecompression": false}),
        GlobalSettings::default(),
    )
    .await;
    out.send(&[alert(CONFIGMAP_ALERT, 1)])
        .await
        .expect("delivered");
    let requests = sink.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/loki/api/v1/push")
    );
    assert_eq!(r.query, None);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("user-agent"), Some(falconer_http::USER_AGENT));
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.header("authorization"), None);
    assert_eq!(r.header("x-scope-orgid"), None);
    golden("push-text-single.json", &r.body);
}

#[tokio::test]
async fn a_batch_is_one_gzipped_push_with_a_stream_per_label_set() {
    let sink = RecordingSink::start().await;
    let g = global();
    let out = build_with(
        json!({
            "hostport": sink.url("/"),
            "endpoint": "/api/prom/push",
            "tenant": "team-a",
            "user": "12345",
            "apikey": "glc_s3cr3t",
            "format": "json",
            "extralabels": "proc.cmdline, user.uid",
            "customheaders": {"X-Falco-Cluster": "prod-eu"},
        }),
        g.clone(),
    )
    .await;
    let batch = [
        // Same labels, later first: the stream's entries are sent in time order.
        alert_with(CONFIGMAP_ALERT, 1, Some("2024-05-14T09:21:08Z"), &g),
        alert_with(SHELL_ALERT, 2, None, &g),
        alert_with(CONFIGMAP_ALERT, 3, None, &g),
    ];
    out.send(&batch).await.expect("delivered");
    let requests = sink.requests();
    assert_eq!(requests.len(), 1, "one push for the batch");
    let r = &requests[0];
    assert_eq!(r.path, "/api/prom/push");
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("x-scope-orgid"), Some("team-a"));
    assert_eq!(
        r.header("authorization"),
        Some("Basic MTIzNDU6Z2xjX3MzY3IzdA==")
    );
    assert_eq!(r.header("x-falco-cluster"), Some("prod-eu"));
    let body = r.decoded_body();
    golden("push-json-batch.json", &body);
    let push: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let streams = push["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 2);
    assert_eq!(streams[0]["values"].as_array().unwrap().len(), 2);
    assert_eq!(streams[0]["values"][0][0], "1715678467418790000");
    assert_eq!(streams[0]["values"][1][0], "1715678468000000000");
    // The JSON line is the payload JSON, as sent to a webhook.
    assert_eq!(
        streams[1]["values"][0][1].as_str().unwrap().as_bytes(),
        batch[1].to_json()
    );
    assert_eq!(streams[1]["stream"]["k8s_ns_name"], "default");
    assert_eq!(streams[1]["stream"]["proc_cmdline"], "bash");
    assert_eq!(streams[1]["stream"]["cluster"], "prod-eu");
    // `user.uid` is null in the alert: only string fields become labels.
    assert!(streams[1]["stream"].get("user_uid").is_none());
}

#[tokio::test]
async fn the_allow_list_moves_other_labels_to_structured_metadata() {
    let sink = RecordingSink::start().await;
    let g = global();
    let out = build_with(
        json!({
            "hostport": sink.url(""),
            "labels": ["rule", "priority", "k8s_ns_name"],
            "structuredmetadata": true,
            "enablecompression": false,
        }),
        g.clone(),
    )
    .await;
    out.send(&[
        alert_with(SHELL_ALERT, 2, None, &g),
        alert_with(SHELL_ALERT, 4, Some("2024-05-14T16:31:57Z"), &g),
    ])
    .await
    .expect("delivered");
    let r = &sink.requests()[0];
    golden("push-structured-metadata.json", &r.body);
    let push = r.json();
    assert_eq!(
        push["streams"].as_array().unwrap().len(),
        1,
        "same allowed labels"
    );
    assert_eq!(
        push["streams"][0]["stream"],
        json!({"k8s_ns_name": "default", "priority": "Notice", "rule": "Terminal shell in container"})
    );
    assert_eq!(
        push["streams"][0]["values"][1][2]["uuid"],
        "00000000-0000-0000-0000-000000000004"
    );
    assert_eq!(
        push["streams"][0]["values"][1][2]["k8s_pod_name"],
        "web-7d9c"
    );
}

#[test]
fn without_structured_metadata_left_out_labels_are_dropped() {
    let encoder = LokiEncoder {
        allow: Some(["rule".to_owned()].into()),
        ..LokiEncoder::default()
    };
    let body = encoder.encode(&[alert(SHELL_ALERT, 1)]);
    let push: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        push["streams"][0]["stream"],
        json!({"rule": "Terminal shell in container"})
    );
    assert_eq!(push["streams"][0]["values"][0].as_array().unwrap().len(), 2);
}

#[test]
fn label_names_are_falcosidekicks_and_valid_for_loki() {
    assert_eq!(label_name("k8s.ns.labels.team"), "k8s_ns_labels_team");
    assert_eq!(label_name("proc.aname[2]"), "proc_aname2");
    assert_eq!(label_name("my-field"), "my_field");
    assert_eq!(label_name("1st"), "_1st");
}

#[test]
fn quotes_are_stripped_from_label_values_and_html_is_escaped_like_go() {
    let mut g = GlobalSettings::default();
    g.customfields
        .insert("owner".into(), "\"<secops & co>\"".into());
    let encoder = LokiEncoder {
        label_fields: vec!["owner".into()],
        ..LokiEncoder::default()
    };
    let body =
        String::from_utf8(encoder.encode(&[alert_with(CONFIGMAP_ALERT, 1, None, &g)])).unwrap();
    assert!(
        body.contains(r#""owner":"\u003csecops \u0026 co\u003e""#),
        "{body}"
    );
}

#[tokio::test]
async fn answers_are_classified_with_lokis_semantics() {
    let sink = RecordingSink::start().await;
    sink.script([
        Reply::status(429)
            .header("Retry-After", "4")
            .body("Ingestion rate limit exceeded for user fake"),
        Reply::status(500).body("rpc error: code = Unavailable"),
        Reply::status(400).body(
            "entry with timestamp 2024-05-14 09:21:07.41879 +0000 UTC ignored, reason: \
             'entry too far behind, oldest acceptable timestamp is: 2024-05-14T10:00:00Z', \
             user 'fake', total ignored: 1 out of 3 for stream: {rule=\"x\"}",
        ),
        Reply::status(400).body("error at least one label pair is required per stream"),
        Reply::status(401).body("no org id"),
        Reply::status(204),
    ]);
    let out = build_with(json!({"hostport": sink.url("")}), GlobalSettings::default()).await;
    let a = [alert(CONFIGMAP_ALERT, 1)];

    let e = out.send(&a).await.unwrap_err();
    assert_eq!(
        (e.retry(), e.label()),
        (Retry::After(Duration::from_secs(4)), "http_429")
    );
    let e = out.send(&a).await.unwrap_err();
    assert_eq!((e.retry(), e.label()), (Retry::Backoff, "http_5xx"));
    let e = out.send(&a).await.unwrap_err();
    assert!(matches!(e, SendError::Rejected(_)), "{e:?}");
    assert_eq!(e.retry(), Retry::Never);
    assert!(e.to_string().contains("entry too far behind"), "{e}");
    let e = out.send(&a).await.unwrap_err();
    assert_eq!((e.retry(), e.label()), (Retry::Never, "http_4xx"));
    assert!(e.to_string().contains("at least one label pair"), "{e}");
    let e = out.send(&a).await.unwrap_err();
    assert_eq!((e.retry(), e.label()), (Retry::Never, "http_4xx"));
    out.send(&a).await.expect("204 is success");
    assert_eq!(
        sink.requests().len(),
        6,
        "one request per attempt, no retry inside"
    );
}

#[test]
fn validation_reports_every_problem_with_its_path() {
    let errors = KIND
        .prepare(&entry(json!({
            "hostport": "ftp://loki",
            "endpoint": "push",
            "format": "logfmt",
            "labels": "hostname,tags",
            "customheaders": {"Bad Header": "x"},
        })))
        .err()
        .expect("invalid");
    let text: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        vec![
            "loki.hostport: scheme \"ftp\" is not http or https",
            "loki.endpoint: \"push\" does not start with /",
            "loki.format: \"logfmt\" is not text or json",
            "loki.labels: must keep rule, source or priority (Loki refuses streams without labels)",
            "loki.customheaders.Bad Header: invalid header name or value",
        ]
    );
    let defaults = KIND.prepare(&entry(json!({"hostport": "http://loki:3100"})));
    let d = defaults.expect("valid").defaults();
    assert_eq!(
        (d.max_batch, d.batch_bytes, d.linger),
        (1000, 1 << 20, Duration::from_secs(1))
    );
}

#[test]
fn debug_output_hides_the_api_key() {
    let config: super::LokiConfig = falconer_config::from_value(json!({
        "hostport": "http://loki:3100",
        "user": "u",
        "apikey": "glc_s3cr3t",
        "customheaders": {"Authorization": "Bearer t0k3n"},
    }))
    .unwrap();
    let text = format!("{config:?}");
    assert!(
        !text.contains("glc_s3cr3t") && !text.contains("t0k3n"),
        "{text}"
    );
}
