//! `POST /k8s-audit`, against the router without a socket.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use falconer_config::OverflowPolicy;
use falconer_event::EnrichSettings;
use falconer_k8saudit::{default_rules, AlertSettings, BodyLimits, Engine, RuleMatching, RuleSet};
use tower::ServiceExt;

use crate::tests::{build_state, Collect};
use crate::{router_for, AuditWebhook, Routes};

const CONFIGMAP: &str =
    include_str!("../../falconer-k8saudit/tests/fixtures/configmap_aws_credentials.json");
const EXEC: &str = include_str!("../../falconer-k8saudit/tests/fixtures/exec_into_pod.json");

fn webhook(max_request_bytes: usize) -> Arc<AuditWebhook> {
    let rules = RuleSet::load(&[default_rules()]).expect("default rules");
    let settings = AlertSettings {
        hostname: "minikube".into(),
        time_format_iso8601: false,
    };
    Arc::new(AuditWebhook {
        engine: Engine::new(rules, RuleMatching::First, settings),
        limits: BodyLimits {
            max_request_bytes,
            max_event_bytes: 256 * 1024,
        },
    })
}

struct Audit {
    app: axum::Router,
    collected: Arc<Collect>,
}

fn audit(webhook: Option<Arc<AuditWebhook>>, token: Option<&str>, routes: &Routes) -> Audit {
    let enrich = EnrichSettings {
        custom_fields: vec![("cluster".into(), "dev".into())],
        ..EnrichSettings::default()
    };
    let (state, collected, _) = build_state(
        enrich,
        1024 * 1024,
        OverflowPolicy::Reject,
        token,
        None,
        webhook,
    );
    Audit {
        app: router_for(state, routes),
        collected,
    }
}

async fn post(
    app: &axum::Router,
    method: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> (StatusCode, String) {
    let mut request = Request::builder().method(method).uri("/k8s-audit");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(body.into()).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let body = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

const JSON: &[(&str, &str)] = &[("content-type", "application/json")];

async fn collected(audit: &Audit, n: usize) -> Vec<Arc<falconer_event::Alert>> {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            {
                let got = audit.collected.0.lock().await;
                if got.len() >= n {
                    return got.clone();
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("alerts delivered")
}

#[tokio::test]
async fn an_event_list_raises_the_alert_and_it_is_dispatched_enriched() {
    let audit = audit(Some(webhook(1 << 20)), None, &Routes::All);
    let (status, body) = post(&audit.app, "POST", JSON, CONFIGMAP).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, r#"{"alerts":1,"events":1,"skipped":0}"#);
    let alerts = collected(&audit, 1).await;
    let alert = &alerts[0];
    assert_eq!(
        alert.rule,
        "Create/Modify Configmap With Private Credentials"
    );
    assert_eq!(alert.source, "k8s_audit");
    assert_eq!(alert.hostname, "minikube");
    assert_eq!(
        alert.output,
        "09:21:07.418790000: Warning K8s configmap with private credential (user=minikube-user verb=create resource=configmaps configmap=aws-creds)"
    );
    assert_eq!(alert.output_fields["ka.user.name"], "minikube-user");
    // Enrichment ran: a UUID and the custom field.
    assert_eq!(alert.uuid.len(), 36);
    assert_eq!(alert.output_fields["cluster"], "dev");

    // Two events, one alert (the exec's ResponseComplete stage raises none).
    let (status, body) = post(&audit.app, "POST", JSON, EXEC).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"alerts":1,"events":2,"skipped":0}"#);
    assert_eq!(collected(&audit, 2).await[1].rule, "Attach/Exec Pod");
}

#[tokio::test]
async fn malformed_bodies_get_400_with_the_reason_large_ones_413() {
    let audit = audit(Some(webhook(4096)), None, &Routes::All);
    let (status, body) = post(&audit.app, "POST", JSON, "{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.starts_with("Invalid audit events: invalid JSON"),
        "{body}"
    );
    let (status, body) = post(&audit.app, "POST", JSON, r#"{"kind":"Pod"}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("\"Pod\" is not an audit EventList"), "{body}");
    let (status, _) = post(&audit.app, "POST", JSON, vec![b' '; 5000]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, body) = post(&audit.app, "POST", &[("content-type", "text/plain")], "{}").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("application/json"), "{body}");
    let (status, _) = post(&audit.app, "GET", &[], "").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    // An event without stageTimestamp is skipped, the request still succeeds.
    let (status, body) = post(
        &audit.app,
        "POST",
        &[],
        r#"{"kind":"EventList","items":[{"kind":"Event","auditID":"x"}]}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"alerts":0,"events":0,"skipped":1}"#);
    assert!(audit.collected.0.lock().await.is_empty());
}

#[tokio::test]
async fn the_token_guards_the_webhook_and_routes_split_it_off() {
    let audit_app = audit(Some(webhook(1 << 20)), Some("s3cret"), &Routes::All);
    let (status, _) = post(&audit_app.app, "POST", JSON, CONFIGMAP).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let headers = [
        ("content-type", "application/json"),
        ("authorization", "Bearer s3cret"),
    ];
    let (status, _) = post(&audit_app.app, "POST", &headers, CONFIGMAP).await;
    assert_eq!(status, StatusCode::OK);

    let elsewhere = audit(
        Some(webhook(1 << 20)),
        None,
        &Routes::AllBut(vec!["/k8s-audit".into()]),
    );
    let (status, _) = post(&elsewhere.app, "POST", JSON, CONFIGMAP).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let only = audit(
        Some(webhook(1 << 20)),
        None,
        &Routes::Only(vec!["/k8s-audit".into()]),
    );
    let (status, _) = post(&only.app, "POST", JSON, CONFIGMAP).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn without_the_webhook_the_path_is_plain_ingest() {
    let audit = audit(None, None, &Routes::All);
    let (status, body) = post(&audit.app, "POST", JSON, CONFIGMAP).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, "Please send a valid request body\n");
}
