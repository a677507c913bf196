//! The UI's state, router (with the base path and the authentication layer) and server.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::auth::{cookie_token, Auth, ClientAddr, Verdict};
use crate::origin::Origin;
use crate::settings::Settings;
use crate::store::Store;
use crate::{api, origin, pages, silences};
use falconer_metrics::UiMetrics;

/// What the embedding binary tells the UI about itself.
#[derive(Debug, Clone, Default)]
pub struct UiInfo {
    /// Falconer's version (`GitVersion` of `/api/v1/version`).
    pub version: String,
    /// The commit it was built from, if known.
    pub commit: String,
    /// The configured output instances (`/api/v1/outputs`).
    pub outputs: Vec<String>,
    /// What `/api/v1/config` shows: the caller masks secrets (see [`Settings::masked`]).
    pub config: Value,
    /// The outputs' state, the routes and the config file's silences for the Info page
    /// (`None`: only the output names above are shown).
    pub runtime: Option<Arc<dyn crate::RuntimeInfo>>,
}

/// The signed-in user, set by the authentication layer (`anonymous` when auth is off).
#[derive(Debug, Clone)]
pub struct User(pub String);

/// Everything the handlers share.
pub struct UiState {
    /// The event store.
    pub store: Store,
    /// Users and sessions.
    pub auth: Auth,
    /// The base path (`/falconer` or empty).
    pub base: String,
    /// Version, outputs, config.
    pub info: UiInfo,
    /// Outputs named by the last falcosidekick POST.
    pub posted_outputs: RwLock<Vec<String>>,
    /// Origins besides the UI's own allowed to write (`ui.allowedorigins`).
    pub allowed_origins: Vec<Origin>,
}

impl std::fmt::Debug for UiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UiState")
            .field("base", &self.base)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl UiState {
    /// Builds the state, its metrics exposed nowhere (see [`UiState::with_metrics`]); fails
    /// when the users cannot be loaded.
    pub fn new(settings: &Settings, store: Store, info: UiInfo) -> Result<Arc<UiState>, String> {
        Self::with_metrics(settings, store, info, UiMetrics::unregistered())
    }

    /// Builds the state, counting sign-in failures and refusals in `metrics`; fails when the
    /// users or `allowedorigins` cannot be loaded.
    pub fn with_metrics(
        settings: &Settings,
        store: Store,
        info: UiInfo,
        metrics: UiMetrics,
    ) -> Result<Arc<UiState>, String> {
        let allowed_origins = settings
            .allowedorigins
            .iter()
            .map(|o| Origin::parse(o).map_err(|e| format!("ui.allowedorigins: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Arc::new(UiState {
            store,
            auth: Auth::new(&settings.auth, metrics)?,
            base: settings.base(),
            info,
            posted_outputs: RwLock::new(Vec::new()),
            allowed_origins,
        }))
    }

    /// An absolute path under the base path (`/falconer/events`).
    pub fn url(&self, path: &str) -> String {
        if path == "/" && !self.base.is_empty() {
            return self.base.clone();
        }
        format!("{}{path}", self.base)
    }

    /// The cookie `Path`.
    pub fn cookie_path(&self) -> &str {
        if self.base.is_empty() {
            "/"
        } else {
            &self.base
        }
    }
}

/// The full router, nested under the base path.
pub fn router(state: Arc<UiState>) -> Router {
    let protected = Router::new()
        .route("/", get(pages::dashboard::page).post(api::add))
        .route("/events", get(pages::events::list))
        .route("/events/{uuid}", get(pages::detail::page))
        .route("/info", get(pages::info::page))
        .route("/api/v1/info", get(pages::info::api))
        .route("/logout", post(pages::login::logout))
        .route(
            "/silences",
            get(pages::silences::page).post(pages::silences::submit),
        )
        .route("/silences/{id}/expire", post(pages::silences::expire))
        .route(
            "/api/v1/silences",
            get(silences::api_list).post(silences::api_create),
        )
        .route(
            "/api/v1/silences/{id}",
            axum::routing::delete(silences::api_expire),
        )
        .route("/api/v1/", post(api::add))
        .route("/api/v1/events/add", post(api::add))
        .route("/api/v1/events/search", get(api::search))
        .route("/api/v1/events/count", get(api::count))
        .route("/api/v1/events/count/{groupby}", get(api::count_by))
        .route("/api/v1/events/timeline", get(api::timeline))
        .route("/api/v1/events/export", get(api::export))
        .route("/api/v1/events/get/{uuid}", get(api::get_event))
        .route("/api/v1/outputs", get(api::outputs))
        .route("/api/v1/config", get(api::config))
        .route("/api/v1/configuration", get(api::config))
        .route("/api/v1/version", get(api::version))
        .layer(middleware::from_fn_with_state(state.clone(), require_auth));
    let app = Router::new()
        .route("/login", get(pages::login::form).post(pages::login::submit))
        .route("/static/app.css", get(pages::stylesheet))
        .route("/static/app.js", get(pages::script))
        .route("/api/v1/healthz", get(api::healthz))
        .route("/api/v1/auth", post(api::authenticate))
        .route("/api/v1/authenticate", post(api::authenticate))
        .merge(protected)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            origin::guard_writes,
        ))
        .layer(middleware::from_fn(security_headers))
        .with_state(state.clone());
    if state.base.is_empty() {
        app
    } else {
        // `/base` serves the dashboard; `/base/` (what proxies often forward) redirects there.
        let home = state.base.clone();
        Router::new()
            .route(
                &format!("{}/", state.base),
                get(move |uri: axum::http::Uri| async move {
                    let target = match uri.query() {
                        Some(q) => format!("{home}?{q}"),
                        None => home,
                    };
                    Redirect::permanent(&target)
                }),
            )
            .nest(&state.base, app)
            .fallback(not_found)
    }
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}

/// Lets a request through with a live session cookie or valid basic credentials;
/// otherwise API calls and writes get 401 and pages a redirect to the login page. Basic
/// credentials go through [`Auth::check`]: 429 with `Retry-After` when refused unchecked.
async fn require_auth(State(state): State<Arc<UiState>>, mut req: Request, next: Next) -> Response {
    if state.auth.disabled() {
        req.extensions_mut().insert(User("anonymous".into()));
        return next.run(req).await;
    }
    let session_user = req
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(cookie_token)
        .and_then(|t| state.auth.session_user(t));
    let user = match session_user {
        Some(u) => Some(u),
        None => match req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            Some(h) => {
                let h = h.to_owned();
                match state
                    .auth
                    .check_basic(&h, ClientAddr::of(req.extensions()))
                    .await
                {
                    Verdict::Allowed(u) => Some(u),
                    Verdict::Denied => None,
                    Verdict::Refused {
                        reason,
                        retry_after,
                    } => return Verdict::refusal_response(reason, retry_after),
                }
            }
            None => None,
        },
    };
    if let Some(u) = user {
        req.extensions_mut().insert(User(u));
        return next.run(req).await;
    }
    let path = req.uri().path();
    if path.starts_with("/api/") || req.method() != Method::GET {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"Falconer\"")],
            "unauthorized",
        )
            .into_response();
    }
    // Inside the base path the router sees the path without it: put it back.
    let pq = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let next_url = if pq == "/" {
        state.url("/")
    } else {
        format!("{}{pq}", state.base)
    };
    let target = format!(
        "{}?next={}",
        state.url("/login"),
        crate::pages::encode(&next_url)
    );
    Redirect::to(&target).into_response()
}

/// Binds the UI port from the settings.
pub async fn bind(settings: &Settings) -> Result<TcpListener, String> {
    let addr = settings.listen_addr()?;
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))
}

/// Serves the UI on `listener` until `shutdown`, then lets requests in progress finish
/// (5 s at most). Connections are held to the deadlines of `settings` and the caps of
/// `pool` (see `falconer_listen`); handlers see the client address as `ConnectInfo`.
pub async fn serve(
    listener: TcpListener,
    state: Arc<UiState>,
    settings: &Settings,
    pool: Arc<falconer_listen::ConnectionPool>,
    shutdown: CancellationToken,
) {
    let app = router(state);
    falconer_listen::serve(
        listener,
        app,
        pool,
        falconer_listen::ListenSettings {
            header_timeout: settings.headertimeout.0,
            idle_timeout: settings.idletimeout.0,
            drain_timeout: Duration::from_secs(5),
        },
        None,
        Some(tag_client),
        shutdown,
    )
    .await;
}

fn tag_client(extensions: &mut http::Extensions, peer: std::net::SocketAddr) {
    extensions.insert(axum::extract::ConnectInfo(peer));
}

/// [`serve`] with the default connection settings and caps, metrics not registered (tests).
pub async fn serve_with_defaults(
    listener: TcpListener,
    state: Arc<UiState>,
    shutdown: CancellationToken,
) {
    let settings = Settings::default();
    let pool = falconer_listen::ConnectionPool::new(
        "ui",
        falconer_listen::ConnectionCaps {
            max_connections: settings.maxconnections,
            max_per_client: settings.maxconnectionsperclient,
        },
        falconer_metrics::ListenerMetrics::unregistered(),
    );
    serve(listener, state, &settings, pool, shutdown).await;
}
