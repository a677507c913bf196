//! The event store: one trait, two databases (embedded SQLite, PostgreSQL), a process-wide
//! registry so the `webui` output and the UI listener share one open store, and the
//! retention task.
//!
//! Both databases share one design (see `docs/webui.md`, "Store"): a catalog numbering the
//! few rules, sources, hosts and tag sets; events carrying series and host numbers; per
//! minute, hour and day counts kept on every write, from which every count, count by field,
//! timeline and result size is read; a word index without positions for free text; keyset
//! (cursor) paging; compact bodies.

mod agg;
mod bloom;
mod catalog;
mod codec;
mod drops;
mod postgres;
mod registry;
mod silences;
mod sqlite;
pub(crate) mod text;

use std::sync::Arc;

use async_trait::async_trait;
use falconer_event::Alert;

use crate::query::{GroupBy, Query};
use crate::settings::{Retention, StoreKind, StoreSettings};

pub use drops::{minute_of, DropCount, Drops};
pub use registry::Stores;
pub use silences::{SilenceAdded, SilenceRecord, SilenceState};

/// A hash map with a fast hasher (foldhash, seeded at random per process), for the maps
/// every inserted alert looks up: their keys are the store's own numbers and rule, source,
/// host and tag values of accepted alerts; a random seed is what keeps collisions from
/// being chosen, and SipHash's stronger guarantee is not worth its cost there.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A hash set with the hasher of [`FastMap`].
pub(crate) type FastSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// A page of search results.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Events (their JSON as stored), newest first.
    pub events: Vec<String>,
    /// Events matching the query, all pages together (estimated when `estimated`).
    pub all: u64,
    /// `all` is an estimate: a free-text search counts its matches exactly up to
    /// [`EXACT_MATCHES`], then extrapolates over the rest of the time range.
    pub estimated: bool,
    /// When the page is full: the position after its last event, for the next page
    /// ([`Query::cursor`]); opaque.
    pub next: Option<String>,
}

/// Free-text matches a search counts one by one; past this many, `Page::all` is estimated
/// (the matches' share of the newest events of the range, times the range's events), so
/// that a word in every event costs what a page of it costs.
pub const EXACT_MATCHES: u64 = 10_000;

/// The estimated matches of a range of `window` events (from the counts) when `found`
/// matches were among its newest `newer` events: at least `found`, at most `window`.
pub(crate) fn estimate_matches(found: u64, newer: u64, window: u64) -> u64 {
    if newer == 0 {
        return found;
    }
    let scaled = u128::from(found) * u128::from(window) / u128::from(newer);
    u64::try_from(scaled)
        .unwrap_or(u64::MAX)
        .clamp(found, window.max(found))
}

/// One cell of the timeline: bucket index, priority (or source, see [`TimelineBy`]), count.
pub type TimelineCell = (u32, String, u64);

/// What a timeline's series are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimelineBy {
    /// One series per priority (falcosidekick-ui's timeline).
    #[default]
    Priority,
    /// One series per source (`syscall`, `k8s_audit`, …).
    Source,
}

impl TimelineBy {
    /// From the API's `by` (`priority`, `source`; case-insensitive).
    pub fn parse(s: &str) -> Option<TimelineBy> {
        match s.to_ascii_lowercase().as_str() {
            "priority" => Some(TimelineBy::Priority),
            "source" => Some(TimelineBy::Source),
            _ => None,
        }
    }

    /// `priority` or `source`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimelineBy::Priority => "priority",
            TimelineBy::Source => "source",
        }
    }
}

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
    /// A stored event could not be read back.
    #[error("stored event unreadable: {0}")]
    Corrupt(String),
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
            StoreError::Corrupt(_) => false,
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
    async fn count_by(&self, q: &Query, by: GroupBy) -> Result<Vec<(String, u64)>, StoreError> {
        Ok(self
            .count_by_each(q, &[by])
            .await?
            .into_iter()
            .next()
            .unwrap_or_default())
    }

    /// [`EventStore::count_by`] for each of `bys`, in their order, from one read of the
    /// counts.
    async fn count_by_each(
        &self,
        q: &Query,
        bys: &[GroupBy],
    ) -> Result<Vec<Vec<(String, u64)>>, StoreError>;

    /// Matching events in `[start, start + width × buckets)` per bucket and priority. When
    /// `q` has no end (`to`), the last bucket also counts matching events newer than the
    /// grid (a clock ahead of the store's, alerts stored meanwhile).
    async fn timeline(
        &self,
        q: &Query,
        start_us: i64,
        width_us: i64,
        buckets: u32,
    ) -> Result<Vec<TimelineCell>, StoreError> {
        self.timeline_by(q, TimelineBy::Priority, start_us, width_us, buckets)
            .await
    }

    /// [`EventStore::timeline`] per bucket and priority or source.
    async fn timeline_by(
        &self,
        q: &Query,
        by: TimelineBy,
        start_us: i64,
        width_us: i64,
        buckets: u32,
    ) -> Result<Vec<TimelineCell>, StoreError> {
        Ok(self
            .timeline_each(q, &[by], start_us, width_us, buckets)
            .await?
            .into_iter()
            .next()
            .unwrap_or_default())
    }

    /// [`EventStore::timeline_by`] for each of `bys`, in their order, from one read of the
    /// counts.
    async fn timeline_each(
        &self,
        q: &Query,
        bys: &[TimelineBy],
        start_us: i64,
        width_us: i64,
        buckets: u32,
    ) -> Result<Vec<Vec<TimelineCell>>, StoreError>;

    /// One event's JSON by UUID.
    async fn get(&self, uuid: &str) -> Result<Option<String>, StoreError>;

    /// Adds to the counts of alerts that were meant for the store but not stored (the
    /// `webui` output's queue was full, retries ran out, …), per minute and reason. Every
    /// replica sharing the store adds to the same counts.
    async fn record_drops(&self, counts: &[DropCount]) -> Result<(), StoreError>;

    /// The alerts not stored whose minute falls in `[from_us, to_us)` (either end open).
    async fn drops(&self, from_us: Option<i64>, to_us: Option<i64>) -> Result<Drops, StoreError>;

    /// Stores a silence (its condition checked by the caller) unless `limit` silences that
    /// have not ended at `now_us` exist already. Wakes this handle's silence feeds.
    async fn add_silence(
        &self,
        silence: &SilenceRecord,
        limit: u64,
        now_us: i64,
    ) -> Result<SilenceAdded, StoreError>;

    /// Silences, newest first, at most `limit`: all those retention keeps, or (with
    /// `unended_only`) only those that have not ended at `now_us`.
    async fn silences(
        &self,
        unended_only: bool,
        now_us: i64,
        limit: u64,
    ) -> Result<Vec<SilenceRecord>, StoreError>;

    /// Ends a silence at `now_us` if it ends later (a pending one starts and ends then).
    /// `None` when there is no such silence, else the silence as it is now. Wakes this
    /// handle's silence feeds.
    async fn expire_silence(
        &self,
        id: &str,
        now_us: i64,
    ) -> Result<Option<SilenceRecord>, StoreError>;

    /// Changes whenever a silence is added or expired through this handle (see
    /// [`silence_feed`](crate::silence_feed)); other handles on a shared database are not
    /// seen here.
    fn silence_changes(&self) -> tokio::sync::watch::Receiver<u64>;

    /// Deletes what `retention` does not keep, in small transactions (drop counts and
    /// silences ended more than `maxage` ago, or 30 days without one, too). Returns the
    /// number of events deleted.
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

#[cfg(test)]
mod tests {
    use super::estimate_matches;

    #[test]
    fn an_estimate_scales_the_share_of_the_newest_events_and_stays_in_bounds() {
        // 10,000 matches among the newest 20,000 of 1,000,000 events: half of them.
        assert_eq!(estimate_matches(10_000, 20_000, 1_000_000), 500_000);
        // Never fewer than found, never more than the window.
        assert_eq!(estimate_matches(10_000, 10_000, 9_000), 10_000);
        assert_eq!(estimate_matches(10_000, 5_000, 1_000_000), 1_000_000);
        assert_eq!(estimate_matches(10_000, 0, 1_000_000), 10_000);
    }
}
