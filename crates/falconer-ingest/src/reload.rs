//! `POST /-/reload`: asks the running process to reload its configuration. Only served when
//! `reload.token` is set, and only to requests carrying it.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use tokio::sync::{mpsc, oneshot};

use crate::reply::with_type;
use crate::IngestState;

/// The outcome of one reload: what changed, or every problem of the refused configuration.
pub type ReloadResult = Result<String, String>;

/// The reload endpoint's token and the way to reach whoever reloads.
#[derive(Clone, Debug)]
pub struct ReloadEndpoint {
    /// What `Authorization: Bearer` must carry.
    pub token: String,
    /// Each request sends a reply channel; the answer comes back on it.
    pub requests: mpsc::Sender<oneshot::Sender<ReloadResult>>,
}

pub(crate) async fn reload(
    State(state): State<Arc<IngestState>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let Some(endpoint) = &state.reload else {
        return with_type(
            StatusCode::NOT_FOUND,
            "text/plain",
            "reload is not enabled\n",
        );
    };
    if method != Method::POST {
        return with_type(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "use POST\n");
    }
    if !crate::auth::authorized(Some(&endpoint.token), &headers) {
        return with_type(StatusCode::UNAUTHORIZED, "text/plain", "unauthorized\n");
    }
    let (reply, answer) = oneshot::channel();
    if endpoint.requests.send(reply).await.is_err() {
        return with_type(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            "shutting down\n",
        );
    }
    match answer.await {
        Ok(Ok(summary)) => with_type(StatusCode::OK, "text/plain", format!("{summary}\n")),
        Ok(Err(problems)) => with_type(
            StatusCode::UNPROCESSABLE_ENTITY,
            "text/plain",
            format!("configuration refused; the one in force stays:\n{problems}\n"),
        ),
        Err(_) => with_type(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            "shutting down\n",
        ),
    }
}
