//! Route handlers.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use falconer_event::{test_alert, Alert, DecodeError};
use falconer_metrics::RejectReason;
use tracing::{debug, info, warn};
use uuid::Uuid;

use crate::auth::authorized;
use crate::body::{decode as decode_body, read_body, BodyError};
use crate::ratelimit::ClientAddr;
use crate::reply::{ok_empty, text_error, with_type, INVALID_BODY, POST_ONLY};
use crate::IngestState;

pub(crate) async fn ping() -> Response {
    with_type(StatusCode::OK, "text/plain; charset=utf-8", "pong\n")
}

pub(crate) async fn healthz() -> Response {
    with_type(StatusCode::OK, "application/json", r#"{"status": "ok"}"#)
}

/// 200 when every output's worker runs, 503 naming those that do not. Outputs whose circuit
/// breaker is open are named too (`"status": "degraded"`) but keep the answer 200: taking
/// Falconer out of a Service because one destination is down would stop every other output.
pub(crate) async fn ready(State(state): State<Arc<IngestState>>) -> Response {
    let down = state.dispatcher.not_running();
    let open = state.dispatcher.open_breakers();
    if !down.is_empty() {
        let body = serde_json::json!({"status": "not ready", "outputs_not_running": down, "breakers_open": open});
        with_type(
            StatusCode::SERVICE_UNAVAILABLE,
            "application/json",
            body.to_string(),
        )
    } else if !open.is_empty() {
        let body = serde_json::json!({"status": "degraded", "breakers_open": open});
        with_type(StatusCode::OK, "application/json", body.to_string())
    } else {
        with_type(StatusCode::OK, "application/json", r#"{"status": "ready"}"#)
    }
}

pub(crate) async fn metrics(State(state): State<Arc<IngestState>>) -> Response {
    with_type(
        StatusCode::OK,
        falconer_metrics::CONTENT_TYPE,
        state.metrics.render(),
    )
}

/// A route another listener serves (`tlsserver.notlspaths`): Go's 404.
pub(crate) async fn not_here() -> Response {
    text_error(StatusCode::NOT_FOUND, "404 page not found")
}

/// 401 for an ingest request without the configured bearer token.
fn unauthorized(state: &IngestState) -> Response {
    state.metrics.request_rejected(RejectReason::Unauthorized);
    let mut response = text_error(StatusCode::UNAUTHORIZED, "Unauthorized");
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer realm=\"falconer\""),
    );
    response
}

/// 429 for a client over `ingest.ratelimit`, or `None` when it may go on.
fn over_rate(state: &IngestState, request: &Request) -> Option<Response> {
    let limiter = state.rate_limit.as_ref()?;
    let client = request.extensions().get::<ClientAddr>()?;
    if limiter.check(client.0) {
        return None;
    }
    state.metrics.request_rejected(RejectReason::RateLimited);
    let mut response = text_error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    Some(response)
}

/// The checks before any work: the token, then the client's rate.
pub(crate) fn admit(state: &IngestState, request: &Request) -> Option<Response> {
    if !authorized(state.token.as_deref(), request.headers()) {
        return Some(unauthorized(state));
    }
    over_rate(state, request)
}

/// `POST /test`: falcosidekick's test alert, through the same path as a real one.
pub(crate) async fn test(State(state): State<Arc<IngestState>>, request: Request) -> Response {
    if let Some(refused) = admit(&state, &request) {
        return refused;
    }
    if request.method() != Method::POST {
        state.metrics.request_rejected(RejectReason::Method);
        return text_error(StatusCode::BAD_REQUEST, POST_ONLY);
    }
    let mut alert = test_alert(falconer_event::now());
    enrich(&state, &mut alert);
    accept(&state, alert).await
}

/// `POST /` and every path falcosidekick treats as ingest.
pub(crate) async fn ingest(State(state): State<Arc<IngestState>>, request: Request) -> Response {
    if let Some(refused) = admit(&state, &request) {
        return refused;
    }
    if request.method() != Method::POST {
        state.metrics.request_rejected(RejectReason::Method);
        return text_error(StatusCode::BAD_REQUEST, POST_ONLY);
    }
    let content_length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let encoding = request
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match read_body(request.into_body(), content_length, state.limits).await {
        Ok(body) => body,
        Err(e) => return body_error(&state, e),
    };
    let body = match decode_body(encoding.as_deref(), body, state.limits.max_body_bytes) {
        Ok(body) => body,
        Err(e) => return body_error(&state, e),
    };
    match decode(&state, &body) {
        Ok(alert) => accept(&state, alert).await,
        Err(e) => {
            state
                .metrics
                .request_rejected(RejectReason::Invalid(e.reason()));
            debug!(reason = e.reason(), error = %e, "Rejected an invalid alert.");
            text_error(StatusCode::BAD_REQUEST, INVALID_BODY)
        }
    }
}

pub(crate) fn body_error(state: &IngestState, e: BodyError) -> Response {
    let (reason, status, message) = match &e {
        BodyError::TooLarge(_) => (
            RejectReason::TooLarge,
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request body too large",
        ),
        BodyError::Timeout => (
            RejectReason::BodyTimeout,
            StatusCode::REQUEST_TIMEOUT,
            "Request body not received in time",
        ),
        BodyError::Io(_) => (
            RejectReason::Invalid("unreadable_body"),
            StatusCode::BAD_REQUEST,
            INVALID_BODY,
        ),
        BodyError::Corrupt { .. } => (
            RejectReason::Invalid("invalid_encoding"),
            StatusCode::BAD_REQUEST,
            INVALID_BODY,
        ),
        BodyError::Unsupported(_) => (
            RejectReason::Invalid("unsupported_encoding"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Content-Encoding (gzip and deflate are)",
        ),
    };
    state.metrics.request_rejected(reason);
    debug!(error = %e, "Rejected a request body.");
    text_error(status, message)
}

/// Parse, enrich, validate: pure, in falcosidekick's order.
fn decode(state: &IngestState, body: &Bytes) -> Result<Alert, DecodeError> {
    let mut alert = Alert::decode(body)?;
    enrich(state, &mut alert);
    alert.validate()?;
    Ok(alert)
}

pub(crate) fn enrich(state: &IngestState, alert: &mut Alert) {
    for (field, error) in state.enricher.load().enrich(alert, Uuid::new_v4()) {
        debug!(field = %field, %error, "A templated field did not render.");
    }
}

/// Dispatches a valid, enriched alert and counts the request once, by its outcome.
async fn accept(state: &IngestState, alert: Alert) -> Response {
    if state.debug {
        info!(alert = %String::from_utf8_lossy(alert.to_json()), "Alert received.");
    }
    let alert = Arc::new(alert);
    let outcome = state.dispatcher.dispatch(alert.clone()).await;
    match outcome.rejected_by {
        None => {
            state.metrics.alert_accepted(&alert);
            ok_empty()
        }
        Some(output) => {
            state.metrics.request_rejected(RejectReason::QueueFull);
            if let Some(suppressed) = state.refusal_log.check() {
                warn!(output = %output, suppressed, "Answering 503: an output refused the alert (queue full with overflow: reject, or shutting down).");
            }
            text_error(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("Output queue full: {output}"),
            )
        }
    }
}
