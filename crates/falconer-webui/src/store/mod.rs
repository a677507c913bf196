//! The event store: one trait, two databases (embedded SQLite, PostgreSQL), a process-wide
//! registry so the `webui` output and the UI listener share one open store, and the
//! retention task.

mod postgres;
mod registry;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use falconer_event::Alert;

use crate::query::{GroupBy, Query};
use crate::settings::{Retention, StoreKind, StoreSettings};

pub use registry::{default_store_settings, set_default_store, shared_store};

/// A page of search results.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Events (their JSON as stored), newest first.
    pub events: Vec<String>,
    /// Events matching the query, all pages together.
    pub all: u64,
}

/// One cell of the timeline: bucket index, priority, count.
pub type TimelineCell = (u32, String, u64);

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// No PostgreSQL connection could be had.
    #[error("postgres pool: {0}")]
    Pool(String),
    /// The store could not be opened.
    #[error("cannot open the store: {0}")]
    Open(String),
    /// A blocking task died.
    #[error("store task failed: {0}")]
    Task(String),
}

impl StoreError {
    /// True when trying again later may work (a busy or unreachable database), false for
    /// errors that will repeat (bad SQL, a full disk counts as transient).
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => !matches!(
                e.code,
                rusqlite::ErrorCode::ConstraintViolation
                    | rusqlite::ErrorCode::TypeMismatch
                    | rusqlite::ErrorCode::TooBig
                    | rusqlite::ErrorCode::ReadOnly
                    | rusqlite::ErrorCode::PermissionDenied
                    | rusqlite::ErrorCode::CannotOpen
            ),
            StoreError::Sqlite(_) => false,
            StoreError::Postgres(e) => e.as_db_error().is_none_or(|db| {
                let class = &db.code().code()[..2];
                matches!(class, "08" | "53" | "57" | "40" | "55")
            }),
            StoreError::Pool(_) | StoreError::Task(_) | StoreError::Open(_) => true,
        }
    }
}

/// What every store does.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn kind(&self) -> StoreKind;

    /// Inserts alerts in one transaction. Idempotent on the alert UUID: an alert stored
    /// already is skipped, so retries never duplicate. Returns how many were new.
    async fn insert(&self, alerts: &[Arc<Alert>]) -> Result<u64, StoreError>;

    /// Matching events, newest first, one page.
    async fn search(&self, q: &Query) -> Result<Page, StoreError>;

    /// How many events match.
    async fn count(&self, q: &Query) -> Result<u64, StoreError>;

    /// Matching events per value of `by`, most frequent first. For tags, each tag of an
    /// event counts once.
    async fn count_by(&self, q: &Query, by: GroupBy) -> Result<Vec<(String, u64)>, StoreError>;

    /// Matching events in `[start, start + width × buckets)` per bucket and priority.
    async fn timeline(
        &self,
        q: &Query,
        start_us: i64,
        width_us: i64,
        buckets: u32,
    ) -> Result<Vec<TimelineCell>, StoreError>;

    /// One event's JSON by UUID.
    async fn get(&self, uuid: &str) -> Result<Option<String>, StoreError>;

    /// Deletes what `retention` does not keep, in small transactions. Returns the number
    /// of events deleted.
    async fn retain(&self, retention: &Retention, now_us: i64) -> Result<u64, StoreError>;

    /// A cheap liveness probe.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// A shared handle on an open store.
pub type Store = Arc<dyn EventStore>;

/// Opens (and creates or migrates) a store without the registry or retention task; tests
/// and tools use it. The path must have been resolved ([`StoreSettings::resolve`]).
pub async fn open_store(settings: &StoreSettings) -> Result<Store, StoreError> {
    match settings.kind {
        StoreKind::Sqlite => Ok(Arc::new(sqlite::SqliteStore::open(&settings.path).await?)),
        StoreKind::Postgres => Ok(Arc::new(postgres::PgStore::open(settings).await?)),
    }
}

/// Enforces `retention` every `retention.interval` until the store is dropped by
/// everything else (the task holds a weak reference).
pub fn spawn_retention(store: &Store, retention: Retention) -> tokio::task::JoinHandle<()> {
    let weak = Arc::downgrade(store);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(retention.interval.0);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(store) = weak.upgrade() else { break };
            match store.retain(&retention, crate::query::now_us()).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(deleted = n, "webui store retention"),
                Err(e) => tracing::warn!(error = %e, "webui store retention failed"),
            }
        }
    })
}
