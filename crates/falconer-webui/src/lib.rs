//! Falconer's built-in event store and web UI, a falcosidekick-ui replacement without Redis.
//!
//! - **Store**: embedded SQLite (default) or PostgreSQL (for replicas sharing one store),
//!   idempotent on the alert UUID, counts pre-aggregated per minute/hour/day, a word index
//!   for free text, retention by age and count enforced by a background task. See [`store`].
//! - **API** on its own listener (2802): falcosidekick-ui's `/api/v1/events/search`,
//!   `/count`, `/count/:groupby`, `/healthz`, `/version`, `/outputs`, `/config`, and
//!   `POST /api/v1/events/add` (falcosidekick's WebUI output), plus `from`/`to`, a timeline
//!   and CSV/NDJSON export.
//! - **Silences**: `POST`/`GET /api/v1/silences`, `DELETE /api/v1/silences/{id}`, kept in the
//!   store; [`silence_feed`] publishes them to the router.
//! - **Pages**: login, dashboard, events table and detail, silences, info (outputs with
//!   their state, routes, silences: see [`RuntimeInfo`]), server-rendered; one small script
//!   adds local times, copy buttons and collapsing filters where it runs.
//! - **Auth**: users with argon2/bcrypt hashes, session cookies, basic auth for API clients;
//!   every route but the login page and `/api/v1/healthz` is protected, writes included.
//!   Password checks are bounded (`ui.auth.maxverifications`), failures back off per client
//!   and user, and cross-site writes are refused (see [`origin`]).
//!
//! Wiring: deserialize [`Settings`] from the `ui:` block, [`Settings::resolve`] it with
//! `datadir`, make the process's [`Stores`] with its store settings and give it to the outputs'
//! build context (the `webui` output kind writes to that store), then [`Stores::shared`],
//! [`UiState::new`], [`bind`] and [`serve`] with the shutdown token.

mod api;
mod app;
pub mod auth;
mod event;
mod feed;
pub mod origin;
mod pages;
pub mod query;
mod runtime;
mod settings;
mod silences;
pub mod store;
mod window;

pub use app::{bind, router, serve, serve_with_defaults, UiInfo, UiState, User};
pub use auth::{hash_password, ClientAddr, Verdict};
pub use event::{parse_add, AddError};
pub use falconer_metrics::UiMetrics;
pub use falconer_policy::{Silence, Silences};
pub use feed::{silence_feed, DEFAULT_SILENCE_POLL};
pub use runtime::{ConfigSilence, OutputStatus, RouteStatus, RuntimeInfo, RuntimeStatus};
pub use settings::{
    AuthSettings, Retention, Settings, StoreKind, StoreSettings, UserEntry, DEFAULT_PORT,
};
pub use silences::{
    MAX_COMMENT_BYTES, MAX_CREATED_BY_BYTES, MAX_LISTED_SILENCES, MAX_MATCH_BYTES,
    MAX_UNENDED_SILENCES,
};
pub use store::{
    minute_of, open_store, spawn_retention, DropCount, Drops, EventStore, Page, SilenceAdded,
    SilenceRecord, SilenceState, Store, StoreError, Stores, TimelineBy,
};
pub use window::{parse_window, Window};
