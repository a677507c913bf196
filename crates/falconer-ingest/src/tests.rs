//! The HTTP behaviour, against the router without a socket.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use falconer_config::{CommonSettings, OutputEntry, OverflowPolicy};
use falconer_core::{Alert, BuiltOutput, Dispatcher, Output, SendError};
use falconer_event::{EnrichSettings, Enricher};
use falconer_metrics::Metrics;
use falconer_testkit::CONFIGMAP_ALERT;
use tokio::sync::Mutex;
use tower::ServiceExt;

use super::*;

#[derive(Default)]
pub(crate) struct Collect(pub(crate) Mutex<Vec<Arc<Alert>>>);

#[async_trait::async_trait]
impl Output for Collect {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        self.0.lock().await.extend(batch.iter().cloned());
        Ok(())
    }
}

struct Harness {
    app: axum::Router,
    collected: Arc<Collect>,
    metrics: Arc<Metrics>,
}

fn harness(enrich: EnrichSettings, max_body: usize, overflow: OverflowPolicy) -> Harness {
    harness_with(enrich, max_body, overflow, None, &Routes::All, None)
}

fn harness_with(
    enrich: EnrichSettings,
    max_body: usize,
    overflow: OverflowPolicy,
    token: Option<&str>,
    routes: &Routes,
    rate: Option<(u32, u32)>,
) -> Harness {
    let (state, collected, metrics) = build_state(enrich, max_body, overflow, token, rate, None);
    Harness {
        app: router_for(state, routes),
        collected,
        metrics,
    }
}

/// The shared state of a harness, with an optional audit webhook.
pub(crate) fn build_state(
    enrich: EnrichSettings,
    max_body: usize,
    overflow: OverflowPolicy,
    token: Option<&str>,
    rate: Option<(u32, u32)>,
    k8saudit: Option<Arc<AuditWebhook>>,
) -> (Arc<IngestState>, Arc<Collect>, Arc<Metrics>) {
    let (metrics, _) = Metrics::new(&[]).unwrap();
    let metrics = Arc::new(metrics);
    let collected = Arc::new(Collect::default());
    let mut common = CommonSettings::default();
    common.queue.overflow = overflow;
    common.queue.capacity = 1000;
    let dispatcher = Dispatcher::launch(
        vec![BuiltOutput {
            entry: OutputEntry {
                name: "collect".into(),
                kind: "null".into(),
                path: "collect".into(),
                common,
                settings: serde_json::Value::Null,
            },
            kind: falconer_output_null::KIND,
            output: collected.clone(),
        }],
        &metrics,
        falconer_core::DeadLetters::disabled(metrics.dead_letter_write_errors().clone()),
        std::path::Path::new("unused-without-spool"),
    )
    .expect("launch");
    let state = Arc::new(IngestState {
        dispatcher: Arc::new(dispatcher),
        enricher: Arc::new(Enricher::new(&enrich).unwrap()).into(),
        metrics: metrics.clone(),
        limits: IngestLimits {
            max_body_bytes: max_body,
            body_timeout: Duration::from_secs(5),
        },
        debug: false,
        refusal_log: falconer_core::LogThrottle::new(1000),
        token: token.map(str::to_owned),
        rate_limit: rate.and_then(|(per_second, burst)| ClientLimiter::new(per_second, burst)),
        k8saudit,
        reload: None,
    });
    (state, collected, metrics)
}

async fn call(
    app: &axum::Router,
    method: &str,
    path: &str,
    body: impl Into<Body>,
) -> (StatusCode, String, Option<String>) {
    let response = app
        .clone()
        .oneshot(
            Request::builder()
                .method(method)
                .uri(path)
                .body(body.into())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (
        status,
        String::from_utf8(body.to_vec()).unwrap(),
        content_type,
    )
}

async fn received(h: &Harness, n: usize) -> Vec<Arc<Alert>> {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let got = h.collected.0.lock().await.clone();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("alerts delivered")
}

fn metrics_text(h: &Harness) -> String {
    String::from_utf8(h.metrics.render()).unwrap()
}

#[tokio::test]
async fn accepts_a_falco_alert_with_200_and_empty_body() {
    let h = harness(EnrichSettings::default(), 1 << 20, OverflowPolicy::Drop);
    let (status, body, _) = call(&h.app, "POST", "/", CONFIGMAP_ALERT).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    let got = received(&h, 1).await;
    assert_eq!(
        got[0].rule,
        "Create/Modify Configmap With Private Credentials"
    );
    assert_eq!(got[0].uuid.len(), 36);
    assert!(metrics_text(&h).contains(
        r#"falcosecurity_falcosidekick_inputs_total{source="requests",status="accepted"} 1"#
    ));
}

#[tokio::test]
async fn any_other_path_is_ingest_too() {
    let h = harness(EnrichSettings::default(), 1 << 20, OverflowPolicy::Drop);
    assert_eq!(
        call(&h.app, "POST", "/foo", CONFIGMAP_ALERT).await.0,
        StatusCode::OK
    );
    let (status, body, _) = call(&h.app, "GET", "/debug/vars", "").await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            "Please send with post http method\n"
        )
    );
}

#[tokio::test]
async fn invalid_bodies_get_falcosidekicks_400() {
    let h = harness(EnrichSettings::default(), 1 << 20, OverflowPolicy::Drop);
    let bad = [
        "",
        "{",
        "[]",
        r#"{"priority":"loud","rule":"r","time":"2024-01-01T00:00:00Z","output_fields":{"a":1}}"#,
        r#"{"priority":"Warning","rule":"","time":"2024-01-01T00:00:00Z","output_fields":{"a":1}}"#,
        r#"{"priority":"Warning","rule":"r","output_fields":{"a":1}}"#,
        r#"{"priority":"Warning","rule":"r","time":"2024-01-01T00:00:00Z"}"#,
        r#"{"priority":"Warning","rule":"r","time":"2024-01-01T00:00:00Z","output_fields":{}}"#,
    ];
    for body in bad {
        let (status, text, content_type) = call(&h.app, "POST", "/", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(text, "Please send a valid request body\n");
        assert_eq!(content_type.as_deref(), Some("text/plain; charset=utf-8"));
    }
    let (status, text, _) = call(&h.app, "GET", "/", "").await;
    assert_eq!(
        (status, text.as_str()),
        (
            StatusCode::BAD_REQUEST,
            "Please send with post http method\n"
        )
    );
    let t = metrics_text(&h);
    assert!(
        t.contains(
            r#"falcosecurity_falcosidekick_inputs_total{source="requests",status="rejected"} 9"#
        ),
        "{t}"
    );
    assert!(t.contains(r#"falconer_alerts_rejected_total{reason="empty_output_fields"} 2"#));
    assert!(t.contains(r#"falconer_alerts_rejected_total{reason="method"} 1"#));
}

#[tokio::test]
async fn customfields_make_an_alert_without_output_fields_valid() {
    let h = harness(
        EnrichSettings {
            custom_fields: vec![("environment".into(), "prod".into())],
            ..Default::default()
        },
        1 << 20,
        OverflowPolicy::Drop,
    );
    let body = r#"{"priority":"Warning","rule":"r","time":"2024-01-01T00:00:00Z"}"#;
    assert_eq!(call(&h.app, "POST", "/", body).await.0, StatusCode::OK);
    assert_eq!(
        received(&h, 1).await[0].field_str("environment"),
        Some("prod")
    );
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413() {
    let h = harness(EnrichSettings::default(), 256, OverflowPolicy::Drop);
    let (status, text, _) = call(&h.app, "POST", "/", CONFIGMAP_ALERT).await;
    assert_eq!(
        (status, text.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "Request body too large\n")
    );
    // Without Content-Length (streamed), the limit still applies.
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = (0..3)
        .map(|_| Ok(bytes::Bytes::from(vec![b' '; 400])))
        .collect();
    let stream = Body::from_stream(tokio_stream::iter(chunks));
    assert_eq!(
        call(&h.app, "POST", "/", stream).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert!(metrics_text(&h).contains(r#"falconer_alerts_rejected_total{reason="too_large"} 2"#));
}

#[tokio::test]
async fn service_routes_answer_like_falcosidekick() {
    let h = harness(EnrichSettings::default(), 1 << 20, OverflowPolicy::Drop);
    assert_eq!(
        call(&h.app, "GET", "/ping", "").await,
        (
            StatusCode::OK,
            "pong\n".into(),
            Some("text/plain; charset=utf-8".into())
        )
    );
    assert_eq!(
        call(&h.app, "GET", "/healthz", "").await,
        (
            StatusCode::OK,
            r#"{"status": "ok"}"#.into(),
            Some("application/json".into())
        )
    );
    assert_eq!(call(&h.app, "GET", "/ready", "").await.0, StatusCode::OK);
    let (status, text, content_type) = call(&h.app, "GET", "/metrics", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("falcosecurity_falcosidekick_inputs_total"));
    assert_eq!(
        content_type.as_deref(),
        Some(falconer_metrics::CONTENT_TYPE)
    );
}

#[tokio::test]
async fn test_route_injects_the_test_alert() {
    let h = harness(
        EnrichSettings {
            custom_fields: vec![("environment".into(), "prod".into())],
            ..Default::default()
        },
        1 << 20,
        OverflowPolicy::Drop,
    );
    assert_eq!(
        call(&h.app, "GET", "/test", "").await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        call(&h.app, "POST", "/test", "").await,
        (StatusCode::OK, String::new(), None)
    );
    let got = received(&h, 1).await;
    let t = &got[0];
    assert_eq!(
        (t.rule.as_str(), t.source.as_str(), t.output.as_str()),
        ("Test rule", "internal", "This is a test from falcosidekick")
    );
    assert_eq!(t.tags, vec!["example", "test"]);
    assert_eq!(t.field_str("proc.name"), Some("falcosidekick"));
    assert_eq!(t.field_str("environment"), Some("prod"));
}

async fn send(
    app: &axum::Router,
    request: Request<Body>,
) -> (StatusCode, String, axum::http::HeaderMap) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, String::from_utf8_lossy(&body).into_owned(), headers)
}

fn post(path: &str, headers: &[(&str, &str)], body: impl Into<Body>) -> Request<Body> {
    let mut builder = Request::builder().method("POST").uri(path);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    builder.body(body.into()).unwrap()
}

fn gzipped(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[tokio::test]
async fn a_token_guards_ingest_and_test_but_not_probes() {
    let h = harness_with(
        EnrichSettings::default(),
        1 << 20,
        OverflowPolicy::Drop,
        Some("s3cret-t0ken"),
        &Routes::All,
        None,
    );
    for (path, headers) in [
        ("/", vec![]),
        ("/", vec![("authorization", "Bearer wrong")]),
        ("/test", vec![]),
        ("/", vec![("authorization", "Basic s3cret-t0ken")]),
    ] {
        let (status, body, response_headers) =
            send(&h.app, post(path, &headers, CONFIGMAP_ALERT)).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::UNAUTHORIZED, "Unauthorized\n"),
            "{path} {headers:?}"
        );
        assert_eq!(
            response_headers
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap()),
            Some("Bearer realm=\"falconer\"")
        );
    }
    let (status, _, _) = send(
        &h.app,
        post(
            "/",
            &[("authorization", "Bearer s3cret-t0ken")],
            CONFIGMAP_ALERT,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(received(&h, 1).await.len(), 1);
    for probe in ["/ping", "/healthz", "/metrics"] {
        assert_eq!(
            call(&h.app, "GET", probe, "").await.0,
            StatusCode::OK,
            "{probe}"
        );
    }
    assert!(metrics_text(&h).contains(r#"falconer_alerts_rejected_total{reason="unauthorized"} 4"#));
}

#[tokio::test]
async fn gzip_bodies_are_accepted_within_the_limit() {
    let h = harness(EnrichSettings::default(), 4096, OverflowPolicy::Drop);
    let (status, _, _) = send(
        &h.app,
        post(
            "/",
            &[("content-encoding", "gzip")],
            gzipped(CONFIGMAP_ALERT.as_bytes()),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        received(&h, 1).await[0].rule,
        "Create/Modify Configmap With Private Credentials"
    );
    // A small body that inflates past the limit: 413, never inflated in full.
    let bomb = gzipped(&vec![b' '; 10 << 20]);
    let (status, _, _) = send(&h.app, post("/", &[("content-encoding", "gzip")], bomb)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, body, _) = send(
        &h.app,
        post("/", &[("content-encoding", "gzip")], CONFIGMAP_ALERT),
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            "Please send a valid request body\n"
        )
    );
    let (status, _, _) = send(&h.app, post("/", &[("content-encoding", "br")], "x")).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let t = metrics_text(&h);
    assert!(
        t.contains(r#"falconer_alerts_rejected_total{reason="invalid_encoding"} 1"#),
        "{t}"
    );
    assert!(
        t.contains(r#"falconer_alerts_rejected_total{reason="too_large"} 1"#),
        "{t}"
    );
}

#[tokio::test]
async fn routes_can_be_split_between_listeners() {
    let moved = vec!["/ping".to_owned(), "/metrics".to_owned()];
    let side = harness_with(
        EnrichSettings::default(),
        1 << 20,
        OverflowPolicy::Drop,
        None,
        &Routes::Only(moved.clone()),
        None,
    );
    assert_eq!(call(&side.app, "GET", "/ping", "").await.0, StatusCode::OK);
    assert_eq!(
        call(&side.app, "GET", "/metrics", "").await.0,
        StatusCode::OK
    );
    let (status, body, _) = call(&side.app, "POST", "/", CONFIGMAP_ALERT).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::NOT_FOUND, "404 page not found\n")
    );
    assert_eq!(
        call(&side.app, "GET", "/healthz", "").await.0,
        StatusCode::NOT_FOUND
    );

    let main = harness_with(
        EnrichSettings::default(),
        1 << 20,
        OverflowPolicy::Drop,
        None,
        &Routes::AllBut(moved),
        None,
    );
    assert_eq!(
        call(&main.app, "GET", "/ping", "").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&main.app, "GET", "/healthz", "").await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(&main.app, "POST", "/", CONFIGMAP_ALERT).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429_others_do_not() {
    let h = harness_with(
        EnrichSettings::default(),
        1 << 20,
        OverflowPolicy::Drop,
        None,
        &Routes::All,
        Some((1, 2)),
    );
    let from = |ip: &str| {
        let mut request = post("/", &[], CONFIGMAP_ALERT);
        request
            .extensions_mut()
            .insert(ClientAddr(ip.parse().unwrap()));
        request
    };
    assert_eq!(send(&h.app, from("127.0.0.1")).await.0, StatusCode::OK);
    assert_eq!(send(&h.app, from("127.0.0.1")).await.0, StatusCode::OK);
    let (status, body, headers) = send(&h.app, from("127.0.0.1")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "Too many requests\n")
    );
    assert_eq!(
        headers.get("retry-after").map(|v| v.to_str().unwrap()),
        Some("1")
    );
    assert_eq!(send(&h.app, from("127.0.0.2")).await.0, StatusCode::OK);
    assert!(metrics_text(&h).contains(r#"falconer_alerts_rejected_total{reason="rate_limited"} 1"#));
}
