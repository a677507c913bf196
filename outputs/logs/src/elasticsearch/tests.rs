//! Golden documents and bulk bodies, and contract tests against the recording sink: requests,
//! per-item classification of mixed `_bulk` answers, the mapping-conflict field drop, real
//! reasons for 4xx, and the index template.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use falconer_config::{CommonSettings, GlobalSettings, OutputEntry};
use falconer_core::{Alert, BuildContext, Output, Retry, SendError};
use falconer_event::{EnrichSettings, Enricher};
use falconer_testkit::{RecordingSink, Reply, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::json;

use super::{index_template, DocEncoder, Suffix, KIND};

fn entry(settings: serde_json::Value) -> OutputEntry {
    OutputEntry {
        name: "es".into(),
        kind: "elasticsearch".into(),
        path: "elasticsearch".into(),
        common: CommonSettings::default(),
        settings,
    }
}

async fn try_build(settings: serde_json::Value) -> Result<Arc<dyn Output>, String> {
    KIND.prepare(&entry(settings))
        .map_err(|e| e.to_string())?
        .build(BuildContext {
            name: "es".into(),
            path: "elasticsearch".into(),
            global: Arc::new(GlobalSettings::default()),
            resources: falconer_core::Resources::default(),
        })
        .await
        .map_err(|e| e.to_string())
}

async fn build(settings: serde_json::Value) -> Arc<dyn Output> {
    try_build(settings).await.expect("builds")
}

fn alert(json: &str, n: u128) -> Arc<Alert> {
    let mut a = Alert::decode(json.as_bytes()).unwrap();
    Enricher::new(&EnrichSettings::default())
        .unwrap()
        .enrich(&mut a, uuid::Uuid::from_u128(n));
    Arc::new(a)
}

/// Compares `got` with `tests/fixtures/elasticsearch/<name>`; `UPDATE_GOLDEN=1` rewrites the file.
fn golden(name: &str, got: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/elasticsearch")
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

/// A `_bulk` answer without errors.
const BULK_OK: &str = r#"{"errors":false}"#;

const FILTER: &str = "filter_path=errors,items.*.status,items.*.error";

#[test]
fn index_names_come_from_the_alert_time_in_utc() {
    let mut a = Alert::decode(
        CONFIGMAP_ALERT
            .replace("09:21:07.418790000Z", "23:30:00+00:00")
            .as_bytes(),
    )
    .unwrap();
    a.time = falconer_event::parse_time("2024-12-31T23:30:00-02:00").unwrap();
    let enc = |suffix| DocEncoder {
        index: "falco".into(),
        suffix,
        flatten: false,
    };
    assert_eq!(enc(Suffix::Daily).index_of(&a), "falco-2025.01.01");
    assert_eq!(enc(Suffix::Monthly).index_of(&a), "falco-2025.01");
    assert_eq!(enc(Suffix::Annually).index_of(&a), "falco-2025");
    assert_eq!(enc(Suffix::None).index_of(&a), "falco");
}

#[test]
fn documents_are_the_payload_plus_timestamp_and_flattening_keeps_every_field() {
    let enc = DocEncoder {
        index: "falco".into(),
        suffix: Suffix::Daily,
        flatten: false,
    };
    let shell = alert(SHELL_ALERT, 2);
    let doc = enc.document(&shell, &[]);
    golden("doc-shell.json", &doc);
    let mut want = shell.to_json().to_vec();
    want.pop();
    want.extend_from_slice(br#","@timestamp":"2024-05-14T16:31:56.746609046Z"}"#);
    assert_eq!(doc, want);
    let flat = DocEncoder {
        flatten: true,
        ..enc
    };
    let doc = flat.document(&shell, &[]);
    golden("doc-shell-flattened.json", &doc);
    let v: serde_json::Value = serde_json::from_slice(&doc).unwrap();
    // falcosidekick loses fields without a dot here (sidekick#1033); Falconer keeps them.
    assert_eq!(
        v["output_fields"]["n_drops"].to_string(),
        "12345678901234567890"
    );
    assert_eq!(v["output_fields"]["ratio"].to_string(), "1.50");
    assert_eq!(v["output_fields"]["proc_cmdline"], "bash");
    assert_eq!(v["output_fields"].as_object().unwrap().len(), 9);
}

#[tokio::test]
async fn a_batch_is_one_bulk_request_with_create_actions() {
    let sink = RecordingSink::start().await;
    let out = build(json!({"hostport": sink.url("/"), "pipeline": "falco enrich"})).await;
    let batch = [alert(CONFIGMAP_ALERT, 1), alert(SHELL_ALERT, 2)];
    sink.script([Reply::status(200).body(
        r#"{"errors":false,"items":[{"create":{"status":201}},{"create":{"status":201}}]}"#,
    )]);
    out.send(&batch).await.expect("delivered");
    let r = &sink.requests()[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/_bulk"));
    assert_eq!(
        r.query.as_deref(),
        Some(format!("pipeline=falco+enrich&{FILTER}").as_str())
    );
    assert_eq!(
        r.header("content-type"),
        Some(falconer_http::CONTENT_TYPE_JSON)
    );
    assert_eq!(r.header("content-encoding"), None);
    golden("bulk.ndjson", &r.body);
}

#[tokio::test]
async fn compat_mode_posts_one_document_per_alert_with_auth_and_gzip() {
    let sink = RecordingSink::start().await;
    let out = build(json!({
        "hostport": sink.url(""),
        "index": "security",
        "suffix": "monthly",
        "pipeline": "p1",
        "apikey": "a2V5",
        "enablecompression": true,
        "flattenfields": true,
        "batching": {"enabled": false},
        "customheaders": {"X-Org": "secops"},
    }))
    .await;
    out.send(&[alert(SHELL_ALERT, 2)]).await.expect("delivered");
    let r = &sink.requests()[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/security-2024.05/_doc")
    );
    assert_eq!(r.query.as_deref(), Some("pipeline=p1"));
    assert_eq!(r.header("authorization"), Some("APIKey a2V5"));
    assert_eq!(r.header("x-org"), Some("secops"));
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    golden("doc-shell-flattened.json", &r.decoded_body());

    let out = build(json!({
        "hostport": sink.url(""),
        "suffix": "none",
        "username": "elastic",
        "password": "changeme",
        "apikey": "ignored",
        "batching": {"enabled": "false"},
    }))
    .await;
    out.send(&[alert(CONFIGMAP_ALERT, 1)])
        .await
        .expect("delivered");
    let r = &sink.requests()[1];
    assert_eq!(r.path, "/falco/_doc");
    assert_eq!(
        r.header("authorization"),
        Some("Basic ZWxhc3RpYzpjaGFuZ2VtZQ==")
    );
}

const MIXED: &str = r#"{"errors":true,"items":[
 {"create":{"status":201}},
 {"create":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation"}}},
 {"create":{"status":400,"error":{"type":"document_parsing_exception","reason":"[1:321] failed to parse field [output_fields.ka.verb] of type [long] in document with id '3'. Preview of field's value: 'create'"}}},
 {"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"[4]: version conflict, document already exists"}}},
 {"create":{"status":400,"error":{"type":"illegal_argument_exception","reason":"no write index is defined for alias [falco]"}}},
 {"create":{"status":503,"error":{"type":"unavailable_shards_exception","reason":"primary shard is not active"}}}
]}"#;

#[tokio::test]
async fn a_mixed_bulk_answer_fails_exactly_the_failed_items_each_by_its_own_error() {
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(200).body(MIXED)]);
    let out = build(json!({"hostport": sink.url("")})).await;
    let batch: Vec<Arc<Alert>> = (1..=6).map(|n| alert(CONFIGMAP_ALERT, n)).collect();
    let Err(SendError::Partial(failed)) = out.send(&batch).await else {
        panic!("expected a partial failure");
    };
    let got: Vec<(usize, Retry, &str)> = failed
        .iter()
        .map(|(i, e)| (*i, e.retry(), e.label()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, Retry::Backoff, "http_429"),
            (2, Retry::Backoff, "other"),
            (4, Retry::Never, "http_4xx"),
            (5, Retry::Backoff, "http_5xx"),
        ]
    );
    assert!(failed[0]
        .1
        .to_string()
        .contains("es_rejected_execution_exception: rejected"));
    assert!(
        failed[1].1.to_string().contains("without it"),
        "{}",
        failed[1].1
    );
    assert!(
        failed[2]
            .1
            .to_string()
            .contains("no write index is defined"),
        "{}",
        failed[2].1
    );
}

#[tokio::test]
async fn a_mapping_conflict_is_sent_once_more_without_the_field_then_dead_lettered() {
    let sink = RecordingSink::start().await;
    let conflict = |field: &str| {
        Reply::status(200).body(&format!(
            r#"{{"errors":true,"items":[{{"create":{{"status":400,"error":{{"type":"mapper_parsing_exception","reason":"failed to parse field [output_fields.{field}] of type [long]"}}}}}}]}}"#
        ))
    };
    sink.fallback(Reply::status(200).body(BULK_OK));
    sink.script([conflict("ka.verb"), conflict("ka.user.name")]);
    let out = build(json!({"hostport": sink.url("")})).await;
    let a = [alert(CONFIGMAP_ALERT, 1)];
    let Err(SendError::Partial(first)) = out.send(&a).await else {
        panic!("expected a partial failure");
    };
    assert_eq!(first[0].1.retry(), Retry::Backoff);
    let Err(SendError::Partial(second)) = out.send(&a).await else {
        panic!("expected a partial failure");
    };
    assert!(
        matches!(second[0].1, SendError::Rejected(_)),
        "{:?}",
        second[0].1
    );
    assert!(second[0]
        .1
        .to_string()
        .contains("even without output_fields.ka.verb"));
    let requests = sink.requests();
    let doc = |i: usize| -> serde_json::Value {
        let text = requests[i].text();
        serde_json::from_str(text.lines().nth(1).unwrap()).unwrap()
    };
    assert_eq!(doc(0)["output_fields"]["ka.verb"], "create");
    assert!(
        doc(1)["output_fields"].get("ka.verb").is_none(),
        "dropped once"
    );
    assert_eq!(doc(1)["output_fields"]["ka.user.name"], "minikube-user");
    // A third attempt (a replay) starts afresh with the full document.
    out.send(&a).await.expect("200 without errors");
    let text = sink.requests()[2].text();
    assert!(text.contains("\"ka.verb\":\"create\""));
}

#[tokio::test]
async fn whole_request_failures_keep_their_class_and_real_reason() {
    let sink = RecordingSink::start().await;
    sink.script([
        Reply::status(429).header("Retry-After", "7"),
        Reply::status(502),
        Reply::status(400).body(r#"{"error":{"root_cause":[],"type":"illegal_argument_exception","reason":"The bulk request must be terminated by a newline [\\n]"},"status":400}"#),
        Reply::status(403).body(r#"{"error":{"type":"security_exception","reason":"action [indices:data/write/bulk] is unauthorized for user [falco]"},"status":403}"#),
        Reply::status(200).body("not json"),
    ]);
    let out = build(json!({"hostport": sink.url("")})).await;
    let a = [alert(CONFIGMAP_ALERT, 1)];
    let e = out.send(&a).await.unwrap_err();
    assert_eq!(e.retry(), Retry::After(Duration::from_secs(7)));
    let e = out.send(&a).await.unwrap_err();
    assert_eq!((e.retry(), e.label()), (Retry::Backoff, "http_5xx"));
    let e = out.send(&a).await.unwrap_err();
    assert_eq!(e.retry(), Retry::Never);
    assert_eq!(
        e.to_string(),
        "destination returned 400 Bad Request: illegal_argument_exception: The bulk request must be terminated by a newline [\\n]"
    );
    let e = out.send(&a).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "destination returned 403 Forbidden: security_exception: action [indices:data/write/bulk] is unauthorized for user [falco]"
    );
    let e = out.send(&a).await.unwrap_err();
    assert_eq!((e.retry(), e.label()), (Retry::Backoff, "other"));
}

#[tokio::test]
async fn the_index_template_is_created_when_missing_and_only_once() {
    let sink = RecordingSink::start().await;
    sink.fallback(Reply::status(200).body(BULK_OK));
    sink.script([Reply::status(404).body(r#"{"error":{"type":"resource_not_found_exception","reason":"index template matching [falco] not found"},"status":404}"#)]);
    let settings = json!({"hostport": sink.url(""), "createindextemplate": true, "numberofshards": 0, "numberofreplicas": 1});
    let out = build(settings.clone()).await;
    let got = sink.requests();
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[0].method.as_str(), got[0].path.as_str()),
        ("GET", "/_index_template/falco")
    );
    assert_eq!(
        (got[1].method.as_str(), got[1].path.as_str()),
        ("PUT", "/_index_template/falco")
    );
    golden("index-template.json", &got[1].body);
    assert_eq!(got[1].body, index_template("falco", Suffix::Daily, 3, 1));
    out.send(&[alert(SHELL_ALERT, 2)]).await.expect("delivered");
    let got = sink.requests();
    assert_eq!(
        got.len(),
        3,
        "no template request before deliveries once created"
    );
    assert!(
        got[2].text().contains("\"proc_cmdline\":\"bash\""),
        "template implies flattening"
    );

    // Already there: one GET, no PUT.
    let _ = build(settings.clone()).await;
    assert_eq!(sink.requests().len(), 4);
    assert_eq!(sink.requests()[3].method, "GET");

    // Refused: the start fails with the reason. Down: the start goes on, deliveries wait.
    sink.script([Reply::status(403)
        .body(r#"{"error":{"type":"security_exception","reason":"no manage_index_templates"}}"#)]);
    let e = try_build(settings.clone()).await.err().expect("refused");
    assert!(
        e.contains("security_exception: no manage_index_templates"),
        "{e}"
    );
    sink.script([Reply::status(503), Reply::status(503)]);
    let out = try_build(settings).await.expect("starts while ES is down");
    let e = out.send(&[alert(SHELL_ALERT, 2)]).await.unwrap_err();
    assert_eq!(e.label(), "http_5xx");
    out.send(&[alert(SHELL_ALERT, 2)])
        .await
        .expect("template then bulk");
    let methods: Vec<String> = sink.requests()[5..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        methods,
        [
            "GET /_index_template/falco",
            "GET /_index_template/falco",
            "GET /_index_template/falco",
            "POST /_bulk"
        ]
    );
}

#[test]
fn validation_and_defaults() {
    let errors = KIND
        .prepare(&entry(json!({
            "hostport": "es:9200",
            "index": "Falco",
            "suffix": "weekly",
            "customheaders": {"Bad Header": "x"},
        })))
        .err()
        .expect("invalid");
    let text: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
    assert_eq!(text.len(), 4, "{text:?}");
    assert!(text[0].starts_with("elasticsearch.hostport: "), "{text:?}");
    assert_eq!(
        text[1],
        "elasticsearch.index: \"Falco\" is not a valid index name"
    );
    assert_eq!(
        text[2],
        "elasticsearch.suffix: \"weekly\" is not daily, monthly, annually or none"
    );
    assert_eq!(
        text[3],
        "elasticsearch.customheaders.Bad Header: invalid header name or value"
    );

    let d = KIND
        .prepare(&entry(json!({"hostport": "http://es:9200"})))
        .unwrap()
        .defaults();
    assert_eq!(
        (d.max_batch, d.batch_bytes, d.linger),
        (10_000, 5 << 20, Duration::from_secs(1))
    );
    let d = KIND
        .prepare(&entry(json!({"hostport": "http://es:9200", "batching": {"batchsize": 1000, "flushinterval": "250ms"}})))
        .unwrap()
        .defaults();
    assert_eq!(
        (d.batch_bytes, d.linger),
        (1000, Duration::from_millis(250))
    );
    let d = KIND
        .prepare(&entry(
            json!({"hostport": "http://es:9200", "batching": {"enabled": false}}),
        ))
        .unwrap()
        .defaults();
    assert!(!d.batches());
}

#[test]
fn debug_output_hides_secrets() {
    let config: super::ElasticsearchConfig = falconer_config::from_value(json!({
        "hostport": "http://es:9200", "password": "pw-s3cr3t", "apikey": "key-s3cr3t",
        "customheaders": {"Authorization": "Bearer t0k3n"},
    }))
    .unwrap();
    let text = format!("{config:?}");
    assert!(
        !text.contains("s3cr3t") && !text.contains("t0k3n"),
        "{text}"
    );
}
