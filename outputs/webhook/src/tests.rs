//! Contract tests against the recording sink: method, path, query, headers and exact body, and
//! how answers are classified.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::{CommonSettings, GlobalSettings, OutputEntry};
use falconer_core::{Alert, BuildContext, Output, Retry, SendError};
use falconer_event::{EnrichSettings, Enricher};
use falconer_testkit::{RecordingSink, Reply, CONFIGMAP_ALERT};
use serde_json::json;

use crate::KIND;

fn entry(settings: serde_json::Value) -> OutputEntry {
    OutputEntry {
        name: "hook".into(),
        kind: "webhook".into(),
        path: "outputs[0] (hook)".into(),
        common: CommonSettings::default(),
        settings,
    }
}

async fn build(settings: serde_json::Value) -> Arc<dyn Output> {
    let prepared = KIND.prepare(&entry(settings)).expect("valid config");
    prepared
        .build(BuildContext {
            name: "hook".into(),
            path: "outputs[0] (hook)".into(),
            global: Arc::new(GlobalSettings::default()),
            resources: falconer_core::Resources::default(),
        })
        .await
        .expect("builds")
}

fn alert() -> Arc<Alert> {
    let mut a = Alert::decode(CONFIGMAP_ALERT.as_bytes()).unwrap();
    Enricher::new(&EnrichSettings::default())
        .unwrap()
        .enrich(&mut a, uuid_from(7));
    Arc::new(a)
}

fn uuid_from(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(n)
}

const EXPECTED_BODY: &str = concat!(
    r#"{"uuid":"00000000-0000-0000-0000-000000000007","#,
    r#""output":"09:21:07.418790000: Warning K8s configmap with private credential (user=minikube-user verb=create resource=configmaps configmap=aws-creds)","#,
    r#""priority":"Warning","rule":"Create/Modify Configmap With Private Credentials","#,
    r#""time":"2024-05-14T09:21:07.41879Z","#,
    r#""output_fields":{"evt.time":1715678467418790000,"ka.req.configmap.name":"aws-creds","ka.target.resource":"configmaps","ka.user.name":"minikube-user","ka.verb":"create"},"#,
    r#""source":"k8s_audit","tags":["k8s"],"hostname":"minikube"}"#
);

#[tokio::test]
async fn posts_the_alert_json_with_default_and_custom_headers() {
    let sink = RecordingSink::start().await;
    let out = build(json!({
        "address": sink.url("/falco/events?team=secops"),
        "customheaders": {"Authorization": "Bearer s3cr3t", "X-Falco-Cluster": "prod-eu"}
    }))
    .await;
    out.send(&[alert()]).await.expect("delivered");
    let requests = sink.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/falco/events");
    assert_eq!(r.query.as_deref(), Some("team=secops"));
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(r.header("user-agent"), Some(falconer_http::USER_AGENT));
    assert_eq!(r.header("authorization"), Some("Bearer s3cr3t"));
    assert_eq!(r.header("x-falco-cluster"), Some("prod-eu"));
    assert_eq!(
        r.header("content-length"),
        Some(EXPECTED_BODY.len().to_string().as_str())
    );
    assert_eq!(r.text(), EXPECTED_BODY);
}

#[tokio::test]
async fn put_and_custom_content_type_override() {
    let sink = RecordingSink::start().await;
    let out = build(json!({
        "address": sink.url("/"),
        "method": "put",
        "customheaders": "Content-Type:application/vnd.falco+json"
    }))
    .await;
    out.send(&[alert()]).await.expect("delivered");
    let r = &sink.requests()[0];
    assert_eq!(r.method, "PUT");
    assert_eq!(r.header("content-type"), Some("application/vnd.falco+json"));
}

#[tokio::test]
async fn answers_are_classified_for_the_core() {
    let sink = RecordingSink::start().await;
    sink.script([
        Reply::status(400).body("{\"error\":\"field ka.verb is not allowed\"}"),
        Reply::status(429).header("Retry-After", "2"),
        Reply::status(503),
        Reply::status(204),
    ]);
    let out = build(json!({"address": sink.url("/")})).await;
    let a = [alert()];

    let e = out.send(&a).await.unwrap_err();
    assert_eq!(e.retry(), Retry::Never);
    assert!(
        e.to_string().contains("field ka.verb is not allowed"),
        "{e}"
    );
    assert_eq!(e.label(), "http_4xx");

    let e = out.send(&a).await.unwrap_err();
    assert_eq!(e.retry(), Retry::After(Duration::from_secs(2)));

    let e = out.send(&a).await.unwrap_err();
    assert_eq!((e.retry(), e.label()), (Retry::Backoff, "http_5xx"));

    out.send(&a).await.expect("204 is success");
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error() {
    let sink = RecordingSink::start().await;
    let url = sink.url("/");
    drop(sink);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let out = build(json!({"address": url})).await;
    let e = out.send(&[alert()]).await.unwrap_err();
    assert!(matches!(e, SendError::Connect(_)), "{e:?}");
    assert_eq!(e.retry(), Retry::Backoff);
}

#[test]
fn validation_reports_every_problem_with_its_path() {
    let errors = KIND
        .prepare(&entry(json!({
            "address": "ftp://files",
            "method": "PATCH",
            "customheaders": {"Bad Header": "x"}
        })))
        .err()
        .expect("invalid");
    let text: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        vec![
            "outputs[0] (hook).address: scheme \"ftp\" is not http or https",
            "outputs[0] (hook).method: \"PATCH\" is not POST or PUT",
            "outputs[0] (hook).customheaders.Bad Header: invalid header name or value",
        ]
    );
    let unknown = KIND
        .prepare(&entry(json!({"address": "http://h/", "adress": "typo"})))
        .err()
        .expect("invalid");
    assert!(
        unknown
            .to_string()
            .starts_with("outputs[0] (hook).adress: unknown field `adress`"),
        "{unknown}"
    );
}

#[test]
fn debug_output_hides_header_values() {
    let prepared = crate::WebhookConfig {
        address: "http://h/".into(),
        method: "POST".into(),
        http: falconer_http::HttpKeys {
            customheaders: [("Authorization".to_owned(), "Bearer s3cr3t".to_owned())].into(),
            checkcert: true,
            mutualtls: false,
        },
    };
    let http = format!("{:?}", prepared.http);
    assert!(!http.contains("s3cr3t"), "{http}");
}

#[test]
fn env_variables_set_the_embedded_http_keys() {
    let env = [
        ("WEBHOOK_ADDRESS", "http://127.0.0.1:7000/hook"),
        ("WEBHOOK_CHECKCERT", "false"),
        ("WEBHOOK_MUTUALTLS", "1"),
        ("WEBHOOK_CUSTOMHEADERS", "X-Team:secops,X-Env:prod"),
    ];
    let sources = falconer_config::Sources {
        yaml: None,
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    let config = falconer_config::load(&sources, &[KIND.schema()]).expect("loads");
    let settings = config.outputs[0].settings.clone();
    let webhook: crate::WebhookConfig = falconer_config::from_value(settings).expect("reads");
    assert!(!webhook.http.checkcert);
    assert!(webhook.http.mutualtls);
    assert_eq!(webhook.http.customheaders["X-Team"], "secops");
    assert_eq!(webhook.http.customheaders["X-Env"], "prod");
    assert!(KIND.prepare(&config.outputs[0]).is_ok());
}
