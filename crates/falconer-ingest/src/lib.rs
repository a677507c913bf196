//! The ingest server: falcosidekick's routes and answers on port 2801, with a body limit,
//! gzip/deflate bodies, header and body read timeouts, keep-alive, HTTP/1.1 and h2c, optional
//! TLS or mutual TLS, an optional bearer token, and a plain-HTTP side port for chosen routes.
//!
//! [`router`] is the whole HTTP behaviour and is testable without a socket; [`serve`] runs it
//! on a listener until told to stop, then finishes the requests in progress.

mod auth;
mod body;
mod handlers;
mod k8saudit;
mod ratelimit;
mod reload;
mod reply;
mod serve;
mod tls;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::any;
use axum::Router;
use falconer_core::Dispatcher;
use falconer_event::Enricher;
use falconer_metrics::Metrics;

pub use k8saudit::AuditWebhook;
pub use ratelimit::{ClientAddr, ClientLimiter};
pub use reload::{ReloadEndpoint, ReloadResult};
pub use serve::{serve, ServeSettings};
pub use tls::{TlsError, TlsFiles, TlsReloader};

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
    /// Enrichment, prepared once per configuration (a reload swaps it).
    pub enricher: arc_swap::ArcSwap<Enricher>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Request limits.
    pub limits: IngestLimits,
    /// Log every accepted alert (falcosidekick's `debug: true`).
    pub debug: bool,
    /// Keeps 503 warnings to one a second under overload.
    pub refusal_log: falconer_core::LogThrottle,
    /// The bearer token ingest requests must carry (`ingest.token`), if any.
    pub token: Option<String>,
    /// The per-client rate limit (`ingest.ratelimit`), if any.
    pub rate_limit: Option<ClientLimiter>,
    /// The Kubernetes audit webhook (`k8saudit.enabled`): `POST /k8s-audit` is served only
    /// when set (otherwise the path is ingest, as any other).
    pub k8saudit: Option<Arc<AuditWebhook>>,
    /// `POST /-/reload` (`reload.token`): served only when set.
    pub reload: Option<ReloadEndpoint>,
}

/// Which routes a listener serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Routes {
    /// Every route.
    All,
    /// Only these (`/` stands for ingest on any other path); the rest get 404.
    Only(Vec<String>),
    /// All but these, which another listener serves.
    AllBut(Vec<String>),
}

impl Routes {
    fn serves(&self, path: &str) -> bool {
        match self {
            Routes::All => true,
            Routes::Only(paths) => paths.iter().any(|p| p == path),
            Routes::AllBut(paths) => !paths.iter().any(|p| p == path),
        }
    }
}

/// The routes: `POST /` (and any other path, as falcosidekick does), `/ping`, `/healthz`,
/// `/ready`, `POST /test`, `/metrics`, and `POST /k8s-audit` when the audit webhook is on.
pub fn router(state: Arc<IngestState>) -> Router {
    router_for(state, &Routes::All)
}

/// The routes `routes` selects; the others answer 404 on this listener.
pub fn router_for(state: Arc<IngestState>, routes: &Routes) -> Router {
    let mut router = Router::new();
    for (path, handler) in [
        ("/ping", any(handlers::ping)),
        ("/healthz", any(handlers::healthz)),
        ("/ready", any(handlers::ready)),
        ("/metrics", any(handlers::metrics)),
        ("/test", any(handlers::test)),
    ] {
        router = if routes.serves(path) {
            router.route(path, handler)
        } else {
            router.route(path, any(handlers::not_here))
        };
    }
    if state.reload.is_some() && routes.serves("/-/reload") {
        router = router.route("/-/reload", any(reload::reload));
    }
    if state.k8saudit.is_some() {
        let path = "/k8s-audit";
        router = if routes.serves(path) {
            router.route(path, any(k8saudit::k8s_audit))
        } else {
            router.route(path, any(handlers::not_here))
        };
    }
    let router = if routes.serves("/") {
        router.fallback(handlers::ingest)
    } else {
        router.fallback(handlers::not_here)
    };
    router.with_state(state)
}

#[cfg(test)]
mod k8saudit_tests;
#[cfg(test)]
mod tests;
