//! `POST /k8s-audit`: the kube-apiserver's audit webhook. The events are evaluated against
//! the `k8s_audit` rules and each alert goes the way a Falco alert does (enrichment,
//! metrics, dispatcher). 200 once every alert is queued (with a JSON count of events, alerts
//! and skipped events), 400 with the reason for a malformed body, 413 over the limit.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::Response;
use falconer_event::Alert;
use falconer_k8saudit::{parse_body, BodyError, BodyLimits, Engine};
use falconer_metrics::RejectReason;
use tracing::{debug, info, warn};

use crate::body::{decode as decode_body, read_body};
use crate::handlers::{admit, body_error, enrich};
use crate::reply::{text_error, with_type};
use crate::{IngestLimits, IngestState};

/// The audit webhook's rules and limits.
#[derive(Debug)]
pub struct AuditWebhook {
    /// The compiled rules.
    pub engine: Engine,
    /// Request and event limits.
    pub limits: BodyLimits,
}

/// What one request gave.
struct Evaluated {
    events: usize,
    skipped: usize,
    alerts: Vec<Alert>,
}

/// The route.
pub(crate) async fn k8s_audit(State(state): State<Arc<IngestState>>, request: Request) -> Response {
    let Some(audit) = state.k8saudit.clone() else {
        return text_error(StatusCode::NOT_FOUND, "404 page not found");
    };
    if let Some(refused) = admit(&state, &request) {
        return refused;
    }
    if request.method() != Method::POST {
        state.metrics.request_rejected(RejectReason::Method);
        let mut response = text_error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return response;
    }
    let (content_type, content_length, encoding) = {
        let header = |name| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        (
            header(header::CONTENT_TYPE),
            header(header::CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok()),
            header(header::CONTENT_ENCODING),
        )
    };
    if let Some(kind) = content_type {
        if !kind.to_ascii_lowercase().contains("json") {
            state
                .metrics
                .request_rejected(RejectReason::Invalid("content_type"));
            return text_error(
                StatusCode::BAD_REQUEST,
                "Content-Type must be application/json",
            );
        }
    }
    let limits = IngestLimits {
        max_body_bytes: audit.limits.max_request_bytes,
        body_timeout: state.limits.body_timeout,
    };
    let body = match read_body(request.into_body(), content_length, limits).await {
        Ok(body) => body,
        Err(e) => return body_error(&state, e),
    };
    let body = match decode_body(encoding.as_deref(), body, limits.max_body_bytes) {
        Ok(body) => body,
        Err(e) => return body_error(&state, e),
    };
    // Evaluation is CPU work (a 12 MiB batch is tens of thousands of events): off the
    // async workers.
    let evaluated = tokio::task::spawn_blocking(move || evaluate(&audit, &body)).await;
    let evaluated = match evaluated {
        Ok(Ok(evaluated)) => evaluated,
        Ok(Err(BodyError::TooLarge(_))) => {
            state.metrics.request_rejected(RejectReason::TooLarge);
            return text_error(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large");
        }
        Ok(Err(e)) => {
            state
                .metrics
                .request_rejected(RejectReason::Invalid("invalid_audit_events"));
            debug!(error = %e, "Rejected an audit webhook body.");
            return text_error(
                StatusCode::BAD_REQUEST,
                &format!("Invalid audit events: {e}"),
            );
        }
        Err(e) => {
            warn!(error = %e, "Audit event evaluation failed.");
            return text_error(StatusCode::INTERNAL_SERVER_ERROR, "Evaluation failed");
        }
    };
    dispatch(&state, evaluated).await
}

/// Parses the body and evaluates every event.
fn evaluate(audit: &AuditWebhook, body: &[u8]) -> Result<Evaluated, BodyError> {
    let parsed = parse_body(body, &audit.limits)?;
    for skipped in &parsed.skipped {
        warn!(index = skipped.index, reason = %skipped.reason, "Audit event skipped.");
    }
    let alerts = parsed
        .events
        .iter()
        .flat_map(|event| audit.engine.evaluate(event))
        .collect();
    Ok(Evaluated {
        events: parsed.events.len(),
        skipped: parsed.skipped.len(),
        alerts,
    })
}

/// Enriches and dispatches every alert; 503 naming the output when one refuses.
async fn dispatch(state: &IngestState, evaluated: Evaluated) -> Response {
    let count = evaluated.alerts.len();
    let mut refused = None;
    for mut alert in evaluated.alerts {
        enrich(state, &mut alert);
        if state.debug {
            info!(alert = %String::from_utf8_lossy(alert.to_json()), "Audit alert raised.");
        }
        let alert = Arc::new(alert);
        match state.dispatcher.dispatch(alert.clone()).await.rejected_by {
            None => state.metrics.alert_accepted(&alert),
            Some(output) => refused = Some(output),
        }
    }
    if let Some(output) = refused {
        state.metrics.request_rejected(RejectReason::QueueFull);
        if let Some(suppressed) = state.refusal_log.check() {
            warn!(output = %output, suppressed, "Answering 503 to the audit webhook: an output refused an alert.");
        }
        return text_error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("Output queue full: {output}"),
        );
    }
    let summary = serde_json::json!({
        "events": evaluated.events,
        "alerts": count,
        "skipped": evaluated.skipped,
    });
    with_type(StatusCode::OK, "application/json", summary.to_string())
}
