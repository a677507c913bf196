//! Falconer's built-in event store and web UI, a falcosidekick-ui replacement without Redis.
//!
//! - **Store**: embedded SQLite (default; FTS5 trigram full-text search) or PostgreSQL (for
//!   replicas sharing one store), idempotent on the alert UUID, with retention by age and
//!   count enforced by a background task. See [`store`].
//! - **API** on its own listener (2802): falcosidekick-ui's `/api/v1/events/search`,
//!   `/count`, `/count/:groupby`, `/healthz`, `/version`, `/outputs`, `/config`, and
//!   `POST /api/v1/events/add` (falcosidekick's WebUI output), plus `from`/`to`, a timeline
//!   and CSV/NDJSON export.
//! - **Pages**: login, dashboard, events table and detail, server-rendered, no JavaScript.
//! - **Auth**: users with argon2/bcrypt hashes, session cookies, basic auth for API clients;
//!   every route but the login page and `/api/v1/healthz` is protected, writes included.
//!
//! Wiring: deserialize [`Settings`] from the `ui:` block, [`Settings::resolve`] it with
//! `datadir`, call [`set_default_store`] before the outputs are built (the `webui` output
//! kind writes to that store), then [`shared_store`], [`UiState::new`], [`bind`] and
//! [`serve`] with the shutdown token.

mod api;
mod app;
pub mod auth;
mod event;
mod pages;
pub mod query;
mod settings;
pub mod store;
mod window;

pub use app::{bind, router, serve, UiInfo, UiState, User};
pub use auth::hash_password;
pub use event::{parse_add, AddError};
pub use settings::{
    AuthSettings, Retention, Settings, StoreKind, StoreSettings, UserEntry, DEFAULT_PORT,
};
pub use store::{
    default_store_settings, open_store, set_default_store, shared_store, spawn_retention,
    EventStore, Page, Store, StoreError,
};
pub use window::{parse_window, Window};
