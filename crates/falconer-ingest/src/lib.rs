//! The ingest server: falcosidekick's routes and answers on port 2801, with a body limit,
//! header and body read timeouts, keep-alive, HTTP/1.1 and h2c.
//!
//! [`router`] is the whole HTTP behaviour and is testable without a socket; [`serve`] runs it
//! on a listener until told to stop, then finishes the requests in progress.

mod body;
mod handlers;
mod reply;
mod serve;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::any;
use axum::Router;
use falconer_core::Dispatcher;
use falconer_event::Enricher;
use falconer_metrics::Metrics;

pub use serve::{serve, ServeSettings};

/// Limits applied to each ingest request.
#[derive(Clone, Copy, Debug)]
pub struct IngestLimits {
    /// Largest body accepted; larger gets 413.
    pub max_body_bytes: usize,
    /// Time allowed to receive the body; slower gets 408.
    pub body_timeout: Duration,
}

/// Everything the handlers share.
pub struct IngestState {
    /// Routes accepted alerts to outputs.
    pub dispatcher: Arc<Dispatcher>,
    /// Enrichment, prepared once.
    pub enricher: Arc<Enricher>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Request limits.
    pub limits: IngestLimits,
    /// Log every accepted alert (falcosidekick's `debug: true`).
    pub debug: bool,
    /// Keeps 503 warnings to one a second under overload.
    pub refusal_log: falconer_core::LogThrottle,
}

/// The routes: `POST /` (and any other path, as falcosidekick does), `/ping`, `/healthz`,
/// `/ready`, `POST /test` and `/metrics`.
pub fn router(state: Arc<IngestState>) -> Router {
    Router::new()
        .route("/ping", any(handlers::ping))
        .route("/healthz", any(handlers::healthz))
        .route("/ready", any(handlers::ready))
        .route("/metrics", any(handlers::metrics))
        .route("/test", any(handlers::test))
        .fallback(handlers::ingest)
        .with_state(state)
}

#[cfg(test)]
mod tests;
