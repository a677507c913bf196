//! The embedded store: one SQLite file in WAL mode, a writer connection and two reader
//! connections (reads never wait for a batch insert), blocking calls on tokio's blocking
//! pool.
//!
//! Layout (schema version 3):
//! - `ev`: one row per event, keyed by its **time**: the row id is the event time in
//!   microseconds shifted left by 2 bits plus a small number telling apart events of the
//!   same microsecond (a fifth takes the next free id). The table is its own time index:
//!   newest first is a walk of its B-tree backwards, a time range a range of row ids,
//!   retention by age a cut at its low end. The row holds the UUID (16 bytes), the series
//!   and host numbers of the [catalog](super::catalog) and the alert's JSON, compressed
//!   ([`super::codec`]). No secondary index: every insert appends near the end.
//! - `ev_words`: a contentless FTS5 table of each event's distinct words, without positions
//!   (see [`super::text`]), row id = the event's, plus a store token for its UUID, host and
//!   series: `get` by UUID, the check that keeps inserts idempotent (behind a Bloom filter)
//!   and selective host or series filters read it instead of B-tree indexes, whose random
//!   inserts would each dirty a page.
//! - `agg`, `agg_host`: events per minute, hour and day × series (× host), kept by every
//!   insert and delete (see [`super::agg`]): counts, counts by field, the timeline and the
//!   size of a filter's result come from there.
//! - `dims`, `series`: the catalog; `zdict`: compression dictionaries; `dropped`,
//!   `silences` as before.
//!
//! A store written by an older Falconer (schema 2: `events`, `event_tags`, `events_fts`) is
//! migrated when opened, in resumable steps of a few thousand events.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use async_trait::async_trait;
use falconer_event::Alert;
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::agg::{self, Deltas, Segment};
use super::bloom::Bloom;
use super::catalog::{tagset_key, Catalog, DimKind, Selection, SeriesKey};
use super::codec::{Compressor, Dictionaries, Encoder};
use super::drops::{drops_cutoff, merge, minute_bounds, DEFAULT_KEEP_US};
use super::silences::{SilenceSignal, DEFAULT_SILENCE_KEEP_US};
use super::text::{self, Term};
use super::{
    estimate_matches, DropCount, Drops, EventStore, FastMap, FastSet, Page, SilenceAdded,
    SilenceRecord, StoreError, TimelineBy, TimelineCell, EXACT_MATCHES,
};
use crate::event::Row;
use crate::query::{GroupBy, Query};
use crate::settings::{Retention, StoreKind};

const READERS: usize = 2;
/// Events deleted per retention transaction, so inserts are never held up for long.
const DELETE_CHUNK: i64 = 5_000;
/// Events moved per transaction when migrating an older store.
const MIGRATE_CHUNK: i64 = 5_000;
/// The schema this code writes.
const SCHEMA_VERSION: i64 = 3;
/// Bits of the row id below the event time: four events per microsecond before one spills
/// into the next microsecond's ids. Few bits keep the word index's row id deltas small (its
/// size and merge work follow their varint length).
const KEY_SHIFT: u32 = 2;
/// Times are clamped to ±this many microseconds in row ids.
const TS_LIMIT: i64 = (i64::MAX >> KEY_SHIFT) - 1;
/// Page cache per connection, KiB (negative `cache_size`).
const WRITER_CACHE_KIB: i64 = 32 * 1024;
const READER_CACHE_KIB: i64 = 16 * 1024;
/// WAL pages between automatic checkpoints (4 KiB pages: 40 MiB).
const WAL_CHECKPOINT_PAGES: i64 = 10_000;
/// The WAL is truncated to this after a checkpoint.
const WAL_SIZE_LIMIT: i64 = 64 << 20;
/// A host or series filter matching fewer than 1 in this many events of the window is read
/// through the word index's tokens; more common ones by walking the window newest first.
const SELECTIVE: u64 = 32;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS dims (
    id INTEGER PRIMARY KEY,
    kind INTEGER NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (kind, value)
);
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    priority TEXT NOT NULL,
    rule INTEGER NOT NULL,
    source INTEGER NOT NULL,
    tags INTEGER NOT NULL,
    UNIQUE (priority, rule, source, tags)
);
CREATE TABLE IF NOT EXISTS ev (
    id INTEGER PRIMARY KEY,
    uuid BLOB NOT NULL,
    series INTEGER NOT NULL,
    host INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS ev_words USING fts5(
    doc, content='', contentless_delete=1, detail=none,
    tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\"
);
CREATE VIRTUAL TABLE IF NOT EXISTS ev_words_terms USING fts5vocab(ev_words, 'row');
CREATE TABLE IF NOT EXISTS agg (
    level INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    series INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (level, bucket, series)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS agg_host (
    level INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    host INTEGER NOT NULL,
    series INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (level, bucket, host, series)
) WITHOUT ROWID;
-- Alerts meant for the store that never reached it, per minute and reason.
CREATE TABLE IF NOT EXISTS dropped (
    minute INTEGER NOT NULL,
    reason TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (minute, reason)
) WITHOUT ROWID;
-- Silences made through the API or the UI (times in microseconds since the epoch).
CREATE TABLE IF NOT EXISTS silences (
    id TEXT PRIMARY KEY,
    match_expr TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS silences_ends ON silences(ends_at);
CREATE INDEX IF NOT EXISTS silences_created ON silences(created_at);
-- zstd dictionaries of the compressed bodies (see codec.rs); never changed once written.
CREATE TABLE IF NOT EXISTS zdict (
    id INTEGER PRIMARY KEY,
    dict BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
";

/// The lowest row id of events at `ts_us` (and the first after everything before it).
fn key_of(ts_us: i64) -> i64 {
    ts_us.clamp(-TS_LIMIT, TS_LIMIT) << KEY_SHIFT
}

/// The event time (clamped, see [`TS_LIMIT`]) of a row id.
fn ts_of(key: i64) -> i64 {
    key >> KEY_SHIFT
}

/// The stored form of a UUID: its 16 bytes, or the text itself when it is not a UUID (a
/// BLOB never equals a TEXT, so the two cannot collide).
fn uuid_value(uuid: &str) -> SqlValue {
    match uuid::Uuid::parse_str(uuid) {
        Ok(u) => SqlValue::Blob(u.as_bytes().to_vec()),
        Err(_) => SqlValue::Text(uuid.to_owned()),
    }
}

/// Loads the compression dictionaries: all for reading, the newest for writing.
fn load_dictionaries(conn: &Connection) -> Result<(Dictionaries, Encoder), StoreError> {
    let mut stmt = conn.prepare("SELECT id, dict FROM zdict ORDER BY id")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut dicts = Dictionaries::default();
    let mut newest = None;
    for (id, dict) in &rows {
        if let Ok(id) = u32::try_from(*id) {
            dicts.add(id, dict);
            newest = Some((id, dict.as_slice()));
        }
    }
    Ok((dicts, Encoder::new(newest)))
}

/// Trains and stores a compression dictionary once the encoder has its samples; true when
/// it did.
fn maybe_train(
    conn: &Connection,
    state: &mut WriteState,
    dicts: &RwLock<Dictionaries>,
) -> Result<bool, StoreError> {
    if !state.encoder.ready() {
        return Ok(false);
    }
    let started = std::time::Instant::now();
    let Some(dict) = state.encoder.train() else {
        return Ok(false);
    };
    let id: i64 = conn.query_row(
        "INSERT INTO zdict (dict) VALUES (?1) RETURNING id",
        [&dict],
        |r| r.get(0),
    )?;
    let id =
        u32::try_from(id).map_err(|_| StoreError::Corrupt(format!("dictionary number {id}")))?;
    dicts
        .write()
        .map_err(|_| StoreError::Task("dictionaries poisoned".into()))?
        .add(id, &dict);
    state.encoder.use_dictionary(id, &dict);
    tracing::info!(
        id,
        bytes = dict.len(),
        ms = started.elapsed().as_millis() as u64,
        "webui store: compression dictionary trained"
    );
    Ok(true)
}

/// The writer connection and what only the writer uses.
struct Writer {
    conn: Connection,
    state: WriteState,
}

/// What inserts remember between transactions.
struct WriteState {
    /// The UUID tokens stored (see [`Bloom`]).
    seen: Bloom,
    /// For microseconds whose ids ran out: the last id given (runs of alerts with one time).
    spill: FastMap<i64, i64>,
    /// Compresses bodies (or samples alerts to train its dictionary).
    encoder: Encoder,
}

struct Inner {
    writer: Mutex<Writer>,
    readers: Vec<Mutex<Connection>>,
    next: AtomicUsize,
    catalog: RwLock<Arc<Catalog>>,
    dicts: RwLock<Dictionaries>,
    /// The writer's current dictionary, for compressing bodies before taking its lock.
    compressor: RwLock<Option<Compressor>>,
    /// Bumped by every committed write: cached matches older than it are stale.
    generation: std::sync::atomic::AtomicU64,
    /// The matches of the last free-text query (a page asks for its counts by field and its
    /// timeline one after the other: one walk serves them all).
    matches: Mutex<Option<CachedMatches>>,
}

/// Matching events of one query: (row id, series, host), newest first.
type Matches = Arc<Vec<(i64, i64, i64)>>;

/// A cached walk.
struct CachedMatches {
    key: String,
    generation: u64,
    matches: Matches,
}

/// Matches kept at most (24 bytes each).
const CACHED_MATCHES: usize = 500_000;

/// The SQLite store.
pub(crate) struct SqliteStore {
    inner: Arc<Inner>,
    silence_signal: SilenceSignal,
}

fn configure(conn: &Connection, cache_kib: i64) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", -cache_kib)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn user_version(conn: &Connection) -> Result<i64, rusqlite::Error> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

fn table_exists(conn: &Connection, name: &str) -> Result<bool, rusqlite::Error> {
    conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// Reads the whole catalog.
fn load_catalog(conn: &Connection) -> Result<Catalog, rusqlite::Error> {
    let mut c = Catalog::default();
    extend_catalog(conn, &mut c)?;
    Ok(c)
}

/// Adds the catalog rows `c` does not know yet.
fn extend_catalog(conn: &Connection, c: &mut Catalog) -> Result<(), rusqlite::Error> {
    let mut stmt = conn.prepare_cached("SELECT id, kind, value FROM dims WHERE id > ?1")?;
    let rows = stmt.query_map([c.max_dim], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (id, kind, value) = row?;
        if let Some(kind) = DimKind::from_i64(kind) {
            c.add_dim(id, kind, value);
        }
    }
    let mut stmt =
        conn.prepare_cached("SELECT id, priority, rule, source, tags FROM series WHERE id > ?1")?;
    let rows = stmt.query_map([c.max_series], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            SeriesKey {
                priority: r.get(1)?,
                rule: r.get(2)?,
                source: r.get(3)?,
                tags: r.get(4)?,
            },
        ))
    })?;
    for row in rows {
        let (id, key) = row?;
        c.add_series(id, key);
    }
    Ok(())
}

impl SqliteStore {
    pub(crate) async fn open(path: &str) -> Result<SqliteStore, StoreError> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || Self::open_blocking(&path))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    fn open_blocking(path: &str) -> Result<SqliteStore, StoreError> {
        if path.trim().is_empty() {
            return Err(StoreError::Open("no SQLite path".into()));
        }
        if let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Open(format!("{}: {e}", dir.display())))?;
        }
        let mut writer = Connection::open(path)?;
        // Must precede the first table of a new file; a no-op on an existing one.
        writer.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
        configure(&writer, WRITER_CACHE_KIB)?;
        writer.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES)?;
        writer.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        let version = user_version(&writer)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Open(format!(
                "{path} was written by a newer Falconer (schema {version}, this one knows {SCHEMA_VERSION})"
            )));
        }
        let fresh = !table_exists(&writer, "ev")?;
        writer.execute_batch(SCHEMA)?;
        if fresh {
            // Fewer, larger merges of the word index: cheaper writes, still few segments.
            writer.execute(
                "INSERT INTO ev_words(ev_words, rank) VALUES ('automerge', 16)",
                [],
            )?;
        }
        let mut catalog = load_catalog(&writer)?;
        let (dicts, encoder) = load_dictionaries(&writer)?;
        let dicts = RwLock::new(dicts);
        let mut state = WriteState {
            seen: stored_uuids(&writer, 0)?,
            spill: FastMap::default(),
            encoder,
        };
        if table_exists(&writer, "events")? {
            migrate_v2(&mut writer, &mut catalog, &mut state, &dicts, path)?;
        }
        writer.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        let compressor = RwLock::new(state.encoder.compressor());
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let r = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            r.busy_timeout(std::time::Duration::from_secs(10))?;
            r.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
            r.set_prepared_statement_cache_capacity(64);
            readers.push(Mutex::new(r));
        }
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                writer: Mutex::new(Writer {
                    conn: writer,
                    state,
                }),
                readers,
                next: AtomicUsize::new(0),
                catalog: RwLock::new(Arc::new(catalog)),
                dicts,
                compressor,
                generation: std::sync::atomic::AtomicU64::new(0),
                matches: Mutex::new(None),
            }),
            silence_signal: SilenceSignal::default(),
        })
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Reader<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let start = inner.next.fetch_add(1, Ordering::Relaxed);
            let catalog = inner
                .catalog
                .read()
                .map_err(|_| StoreError::Task("catalog poisoned".into()))?
                .clone();
            // A free reader if there is one, else wait for the next in turn.
            for i in 0..inner.readers.len() {
                if let Ok(conn) = inner.readers[(start + i) % inner.readers.len()].try_lock() {
                    return f(&mut Reader::new(&conn, catalog, &inner));
                }
            }
            let conn = inner.readers[start % inner.readers.len()]
                .lock()
                .map_err(|_| StoreError::Task("reader poisoned".into()))?;
            f(&mut Reader::new(&conn, catalog, &inner))
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Writer, &Inner) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut writer = inner
                .writer
                .lock()
                .map_err(|_| StoreError::Task("writer poisoned".into()))?;
            f(&mut writer, &inner)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

// ---------------------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------------------

/// Catalog numbers for new values, inserted in the writer's transaction and published once
/// it commits.
struct CatalogWriter<'c> {
    known: &'c Catalog,
    added: Catalog,
}

impl CatalogWriter<'_> {
    fn dim(&mut self, tx: &Connection, kind: DimKind, value: &str) -> Result<i64, StoreError> {
        if let Some(id) = self
            .known
            .dim(kind, value)
            .or_else(|| self.added.dim(kind, value))
        {
            return Ok(id);
        }
        let id: i64 = tx
            .prepare_cached(
                "INSERT INTO dims (kind, value) VALUES (?1, ?2)
                 ON CONFLICT (kind, value) DO UPDATE SET value = excluded.value
                 RETURNING id",
            )?
            .query_row(params![kind as i64, value], |r| r.get(0))?;
        self.added.add_dim(id, kind, value.to_owned());
        Ok(id)
    }

    fn series(&mut self, tx: &Connection, row: &Row<'_>) -> Result<(i64, i64), StoreError> {
        let key = SeriesKey {
            priority: row.priority.to_owned(),
            rule: self.dim(tx, DimKind::Rule, row.rule)?,
            source: self.dim(tx, DimKind::Source, row.source)?,
            tags: self.dim(tx, DimKind::Tags, &tagset_key(row.tags))?,
        };
        let host = self.dim(tx, DimKind::Host, row.hostname)?;
        if let Some(id) = self
            .known
            .series_id(&key)
            .or_else(|| self.added.series_id(&key))
        {
            return Ok((id, host));
        }
        let id: i64 = tx
            .prepare_cached(
                "INSERT INTO series (priority, rule, source, tags) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (priority, rule, source, tags) DO UPDATE SET priority = excluded.priority
                 RETURNING id",
            )?
            .query_row(
                params![key.priority, key.rule, key.source, key.tags],
                |r| r.get(0),
            )?;
        self.added.add_series(id, key);
        Ok((id, host))
    }
}

/// A Bloom filter of the UUID tokens in the word index, sized for twice as many.
fn stored_uuids(conn: &Connection, at_least: usize) -> Result<Bloom, StoreError> {
    let mut stmt =
        conn.prepare("SELECT term FROM ev_words_terms WHERE term >= '_t' AND term < '_v'")?;
    let terms = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut bloom = Bloom::with_capacity((terms.len() * 2).max(at_least));
    for t in &terms {
        bloom.insert(t);
    }
    Ok(bloom)
}

/// True when an event with this UUID is stored (or pending in this transaction): the word
/// index finds the candidates by UUID token, their stored UUID decides.
fn stored_already(tx: &Connection, token: &str, uuid: &SqlValue) -> Result<bool, StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT e.uuid FROM ev_words JOIN ev e ON e.id = ev_words.rowid WHERE ev_words MATCH ?1",
    )?;
    let mut rows = stmt.query([format!("\"{token}\"")])?;
    while let Some(r) = rows.next()? {
        if SqlValue::from(r.get_ref(0)?) == *uuid {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Inserts one event under the first free row id of its microsecond, or after them the first
/// free one (`spill` remembers runs); returns the row id.
fn insert_event(
    tx: &Connection,
    spill: &mut FastMap<i64, i64>,
    ts_us: i64,
    uuid: &SqlValue,
    series: i64,
    host: i64,
    body: &SqlValue,
) -> Result<i64, StoreError> {
    let base = key_of(ts_us);
    let mut key = spill.get(&base).map_or(base, |k| k + 1);
    let mut stmt = tx.prepare_cached(
        "INSERT INTO ev (id, uuid, series, host, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    loop {
        match stmt.execute(params![key, uuid, series, host, body]) {
            Ok(_) => {
                if key >= base + (1 << KEY_SHIFT) {
                    if spill.len() > 4_096 {
                        spill.clear();
                    }
                    spill.insert(base, key);
                }
                return Ok(key);
            }
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                key = first_free(tx, key)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The first row id at or after `from` that no event has.
fn first_free(tx: &Connection, from: i64) -> Result<i64, StoreError> {
    let mut stmt = tx.prepare_cached("SELECT id FROM ev WHERE id >= ?1 ORDER BY id LIMIT 256")?;
    let mut start = from;
    loop {
        let ids = stmt
            .query_map([start], |r| r.get::<_, i64>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        let mut expect = start;
        for id in &ids {
            if *id != expect {
                return Ok(expect);
            }
            expect += 1;
        }
        if ids.len() < 256 {
            return Ok(expect);
        }
        start = expect;
    }
}

/// Applies count changes to the aggregates; rows that reach zero go.
fn apply_deltas(tx: &Connection, deltas: &Deltas) -> Result<(), StoreError> {
    let mut up = tx.prepare_cached(
        "INSERT INTO agg (level, bucket, series, n) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (level, bucket, series) DO UPDATE SET n = n + excluded.n",
    )?;
    let mut up_host = tx.prepare_cached(
        "INSERT INTO agg_host (level, bucket, host, series, n) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (level, bucket, host, series) DO UPDATE SET n = n + excluded.n",
    )?;
    let mut any_negative = false;
    for ((level, bucket, series), n) in &deltas.series {
        if *n != 0 {
            any_negative |= *n < 0;
            up.execute(params![*level as i64, bucket, series, n])?;
        }
    }
    for ((level, bucket, host, series), n) in &deltas.hosts {
        if *n != 0 {
            up_host.execute(params![*level as i64, bucket, host, series, n])?;
        }
    }
    if any_negative {
        let mut gone = tx.prepare_cached(
            "DELETE FROM agg WHERE level = ?1 AND bucket = ?2 AND series = ?3 AND n <= 0",
        )?;
        for ((level, bucket, series), n) in &deltas.series {
            if *n < 0 {
                gone.execute(params![*level as i64, bucket, series])?;
            }
        }
        let mut gone = tx.prepare_cached(
            "DELETE FROM agg_host WHERE level = ?1 AND bucket = ?2 AND host = ?3 AND series = ?4 AND n <= 0",
        )?;
        for ((level, bucket, host, series), n) in &deltas.hosts {
            if *n < 0 {
                gone.execute(params![*level as i64, bucket, host, series])?;
            }
        }
    }
    Ok(())
}

/// Inserts rows in the current transaction, in time order (the word index takes ascending
/// row ids in one go; out of order, it writes a segment at each step back); returns the
/// catalog additions and how many were new. An alert whose UUID is stored already is
/// skipped: the Bloom filter clears almost every new one without a lookup.
fn insert_in_tx(
    tx: &Connection,
    known: &Catalog,
    state: &mut WriteState,
    rows: &mut [Row<'_>],
    mut bodies: Vec<Option<Vec<u8>>>,
) -> Result<(Catalog, u64), StoreError> {
    let mut cw = CatalogWriter {
        known,
        added: Catalog::default(),
    };
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|i| rows[*i].ts_us);
    let mut deltas = Deltas::default();
    let mut added = 0u64;
    let mut batch: FastSet<String> = FastSet::default();
    let mut words = tx.prepare_cached("INSERT INTO ev_words (rowid, doc) VALUES (?1, ?2)")?;
    for i in order {
        let r = &mut rows[i];
        let token = text::uuid_token(&r.uuid);
        let uuid = uuid_value(&r.uuid);
        if (batch.contains(&token) || state.seen.may_contain(&token))
            && stored_already(tx, &token, &uuid)?
        {
            continue;
        }
        let (series, host) = cw.series(tx, r)?;
        let ts = r.ts_us.clamp(-TS_LIMIT, TS_LIMIT);
        let json: &[u8] = &r.json;
        if state.encoder.wants_samples() {
            state.encoder.sample(json);
        }
        // Compressed before the lock, or here when the dictionary came after.
        let compressed = match bodies.get_mut(i).and_then(Option::take) {
            Some(blob) => Some(blob),
            None => state.encoder.encode(json),
        };
        let body = match compressed {
            Some(blob) => SqlValue::Blob(blob),
            None => SqlValue::Text(String::from_utf8_lossy(&r.json).into_owned()),
        };
        let id = insert_event(tx, &mut state.spill, ts, &uuid, series, host, &body)?;
        // The document gets its store tokens in place (it is not read again).
        for t in [
            token.as_str(),
            &text::host_token(host),
            &text::series_token(series),
        ] {
            r.doc.push(' ');
            r.doc.push_str(t);
        }
        words.execute(params![id, r.doc])?;
        // Counted at the time of its row id (a spilled one: a few µs later), as ranges read it.
        deltas.add(ts_of(id), series, host, 1);
        state.seen.insert(&token);
        batch.insert(token);
        added += 1;
    }
    apply_deltas(tx, &deltas)?;
    Ok((cw.added, added))
}

/// Publishes catalog additions (after their transaction committed).
fn publish(inner: &Inner, added: Catalog) -> Result<(), StoreError> {
    if added.max_dim == 0 && added.max_series == 0 {
        return Ok(());
    }
    let mut guard = inner
        .catalog
        .write()
        .map_err(|_| StoreError::Task("catalog poisoned".into()))?;
    let mut next = Catalog::clone(&guard);
    next.merge(added);
    *guard = Arc::new(next);
    Ok(())
}

fn insert_rows(
    w: &mut Writer,
    inner: &Inner,
    rows: &mut [Row<'_>],
    bodies: Vec<Option<Vec<u8>>>,
) -> Result<u64, StoreError> {
    let known = inner
        .catalog
        .read()
        .map_err(|_| StoreError::Task("catalog poisoned".into()))?
        .clone();
    if maybe_train(&w.conn, &mut w.state, &inner.dicts)? {
        *inner
            .compressor
            .write()
            .map_err(|_| StoreError::Task("compressor poisoned".into()))? =
            w.state.encoder.compressor();
    }
    let tx = w.conn.transaction()?;
    let (added_catalog, added) = insert_in_tx(&tx, &known, &mut w.state, rows, bodies)?;
    tx.commit()?;
    inner.generation.fetch_add(1, Ordering::Relaxed);
    publish(inner, added_catalog)?;
    if w.state.seen.is_full() {
        w.state.seen = stored_uuids(&w.conn, w.state.seen.len() * 2)?;
    }
    Ok(added)
}

/// Deletes events (with their words and counts) by row id range `[from, to)`, at most
/// `limit`, oldest first. Returns how many went.
fn delete_range(conn: &mut Connection, from: i64, to: i64, limit: i64) -> Result<u64, StoreError> {
    let tx = conn.transaction()?;
    let gone: Vec<(i64, i64, i64)> = {
        let mut stmt = tx.prepare_cached(
            "DELETE FROM ev WHERE id IN (SELECT id FROM ev WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT ?3)
             RETURNING id, series, host",
        )?;
        let rows = stmt.query_map(params![from, to, limit], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let mut deltas = Deltas::default();
    {
        let mut words = tx.prepare_cached("DELETE FROM ev_words WHERE rowid = ?1")?;
        for (id, series, host) in &gone {
            words.execute([id])?;
            deltas.add(ts_of(*id), *series, *host, -1);
        }
    }
    apply_deltas(&tx, &deltas)?;
    tx.commit()?;
    Ok(gone.len() as u64)
}

/// Events stored, from the day counts.
fn total_events(conn: &Connection) -> Result<i64, rusqlite::Error> {
    conn.query_row(
        "SELECT COALESCE(SUM(n), 0) FROM agg WHERE level = 2",
        [],
        |r| r.get(0),
    )
}

/// One step of retention: deletes at most one chunk of what `r` does not keep (by age first,
/// then the oldest beyond `maxevents`). Returns how many went; 0 when nothing is left to do.
fn retain_step(conn: &mut Connection, r: &Retention, now_us: i64) -> Result<u64, StoreError> {
    if !r.maxage.0.is_zero() {
        let age = i64::try_from(r.maxage.0.as_micros()).unwrap_or(i64::MAX);
        let cutoff = key_of(now_us.saturating_sub(age));
        let n = delete_range(conn, i64::MIN, cutoff, DELETE_CHUNK)?;
        if n > 0 {
            return Ok(n);
        }
    }
    if r.maxevents > 0 {
        let max = i64::try_from(r.maxevents).unwrap_or(i64::MAX);
        let excess = total_events(conn)?.saturating_sub(max);
        if excess > 0 {
            return delete_range(conn, i64::MIN, i64::MAX, excess.min(DELETE_CHUNK));
        }
    }
    Ok(0)
}

/// The end of a retention run: drop counts and silences past keeping, freed pages back.
fn retain_finish(
    conn: &mut Connection,
    r: &Retention,
    now_us: i64,
    deleted: u64,
) -> Result<(), StoreError> {
    let keep = if r.maxage.0.is_zero() {
        DEFAULT_KEEP_US
    } else {
        i64::try_from(r.maxage.0.as_micros()).unwrap_or(i64::MAX)
    };
    // Without an age limit, the counts of minutes that still have stored events stay too
    // (their times are the alerts', which may be far older than the clock).
    let drop_cutoff = if r.maxage.0.is_zero() {
        let oldest: Option<i64> =
            conn.query_row("SELECT MIN(rowid) FROM ev", [], |row| row.get(0))?;
        drops_cutoff(now_us, keep, oldest.map(ts_of))
    } else {
        now_us.saturating_sub(keep)
    };
    conn.execute(
        "DELETE FROM dropped WHERE minute < ?1",
        params![drop_cutoff],
    )?;
    let keep_silences = if r.maxage.0.is_zero() {
        DEFAULT_SILENCE_KEEP_US
    } else {
        keep
    };
    conn.execute(
        "DELETE FROM silences WHERE ends_at < ?1",
        params![now_us.saturating_sub(keep_silences)],
    )?;
    if deleted > 0 {
        // Give most freed pages back to the file system, a bounded amount per run.
        conn.execute_batch("PRAGMA incremental_vacuum(4096);")?;
    }
    Ok(())
}

/// Moves the events of a schema-2 store (`events` and its tag and full-text tables) into
/// this layout, `MIGRATE_CHUNK` per transaction (an interrupted migration resumes where it
/// stopped), then drops the old tables.
fn migrate_v2(
    conn: &mut Connection,
    catalog: &mut Catalog,
    state: &mut WriteState,
    dicts: &RwLock<Dictionaries>,
    path: &str,
) -> Result<(), StoreError> {
    let total: i64 = conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?;
    tracing::info!(
        path,
        events = total,
        "migrating the webui store to schema 3"
    );
    let started = std::time::Instant::now();
    let mut moved = 0i64;
    let mut skipped = 0u64;
    loop {
        maybe_train(conn, state, dicts)?;
        let tx = conn.transaction()?;
        let last: i64 = tx
            .query_row(
                "SELECT value FROM meta WHERE key = 'migrated_v2_id'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(i64::MIN);
        let batch: Vec<(i64, String)> = {
            let mut stmt =
                tx.prepare("SELECT id, json FROM events WHERE id > ?1 ORDER BY id LIMIT ?2")?;
            let rows =
                stmt.query_map(params![last, MIGRATE_CHUNK], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let Some((last_id, _)) = batch.last() else {
            tx.commit()?;
            break;
        };
        let last_id = *last_id;
        let alerts: Vec<Alert> = batch
            .into_iter()
            .filter_map(|(id, json)| {
                match Alert::from_payload(bytes::Bytes::from(json.into_bytes())) {
                    Ok(a) => Some(a),
                    Err(e) => {
                        tracing::warn!(id, error = %e, "webui store migration: an unreadable event skipped");
                        skipped += 1;
                        None
                    }
                }
            })
            .collect();
        let mut rows: Vec<Row<'_>> = alerts.iter().map(Row::from_alert).collect();
        let (added, n) = insert_in_tx(&tx, catalog, state, &mut rows, Vec::new())?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('migrated_v2_id', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [last_id],
        )?;
        tx.commit()?;
        catalog.merge(added);
        moved += i64::try_from(n).unwrap_or(i64::MAX);
        tracing::info!(moved, total, "webui store migration");
    }
    conn.execute_batch(
        "DROP TABLE IF EXISTS events_fts;
         DROP TABLE IF EXISTS event_tags;
         DROP TABLE IF EXISTS events;
         DELETE FROM meta WHERE key = 'migrated_v2_id';",
    )?;
    conn.execute_batch("PRAGMA incremental_vacuum;")?;
    tracing::info!(
        moved,
        skipped,
        seconds = started.elapsed().as_secs_f64(),
        "webui store migrated to schema 3"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------

/// A reader connection with the catalog as of the start of the read.
struct Reader<'a> {
    conn: &'a Connection,
    catalog: Arc<Catalog>,
    inner: &'a Inner,
    dctx: std::cell::RefCell<Option<zstd::zstd_safe::DCtx<'static>>>,
}

/// `(host or 0, series)` → events.
type Tally = HashMap<(i64, i64), u64>;

impl<'a> Reader<'a> {
    fn new(conn: &'a Connection, catalog: Arc<Catalog>, inner: &'a Inner) -> Self {
        Reader {
            conn,
            catalog,
            inner,
            dctx: std::cell::RefCell::new(None),
        }
    }

    /// The JSON of a stored body (TEXT as is, a BLOB decompressed).
    fn json(&self, v: ValueRef<'_>) -> Result<String, StoreError> {
        match v {
            ValueRef::Text(t) => Ok(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => {
                let dicts = self
                    .inner
                    .dicts
                    .read()
                    .map_err(|_| StoreError::Task("dictionaries poisoned".into()))?;
                let mut dctx = self.dctx.borrow_mut();
                let dctx = dctx.get_or_insert_with(zstd::zstd_safe::DCtx::create);
                dicts
                    .decode(dctx, b)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            }
            other => Err(StoreError::Corrupt(format!(
                "body of type {}",
                other.data_type()
            ))),
        }
    }

    /// Makes sure the catalog knows these numbers (rows committed after the snapshot was
    /// taken may use new ones): re-reads what is new, and publishes it.
    fn refresh(&mut self, series: &[i64], hosts: &[i64]) -> Result<(), StoreError> {
        if self.catalog.knows(series, hosts) {
            return Ok(());
        }
        self.reload()
    }

    /// What `q`'s dimension filters select, with every catalog row the database has: when
    /// the query depends on the catalog and another handle on the same file (another
    /// process, or a second open) has numbered new names or series since this handle last
    /// looked, they are read first (two lookups of the highest numbers when nothing is new).
    fn select(&mut self, q: &Query) -> Result<Selection, StoreError> {
        if Catalog::depends_on(q) {
            let newest: (i64, i64) = self.conn.prepare_cached(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM dims), (SELECT COALESCE(MAX(id), 0) FROM series)",
            )?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            if newest.0 > self.catalog.max_dim || newest.1 > self.catalog.max_series {
                tracing::debug!("webui store: catalog reloaded (rows added by another handle)");
                self.reload()?;
            }
        }
        Ok(self.catalog.select(q))
    }

    /// Reads the catalog rows newer than this snapshot's, and publishes them.
    fn reload(&mut self) -> Result<(), StoreError> {
        let mut c = Catalog::clone(&self.catalog);
        extend_catalog(self.conn, &mut c)?;
        let c = Arc::new(c);
        if let Ok(mut guard) = self.inner.catalog.write() {
            if guard.max_dim <= c.max_dim && guard.max_series <= c.max_series {
                *guard = c.clone();
            }
        }
        self.catalog = c;
        Ok(())
    }

    /// Events in `[from, to)` per (host, series) — host 0 unless `by_host` or the selection
    /// names hosts — counting only what `sel` admits.
    fn tally(
        &self,
        from: i64,
        to: i64,
        sel: &Selection,
        by_host: bool,
    ) -> Result<Tally, StoreError> {
        let per_host = by_host || sel.hosts.is_some();
        let mut out = Tally::new();
        let (segments, raw) = agg::plan(from, to, 0);
        let mut add = |host: i64, series: i64, n: i64| {
            if n > 0 && sel.admits(series, host) {
                *out.entry((if by_host { host } else { 0 }, series))
                    .or_default() += n.unsigned_abs();
            }
        };
        match &sel.hosts {
            Some(hosts) => {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT series, n FROM agg_host WHERE level = ?1 AND bucket >= ?2 AND bucket < ?3 AND host = ?4",
                )?;
                let mut raw_stmt = self.conn.prepare_cached(
                    "SELECT series, COUNT(*) FROM ev WHERE host = ?1 AND id >= ?2 AND id < ?3 GROUP BY series",
                )?;
                for host in hosts {
                    for Segment { level, from, to } in &segments {
                        let mut rows = stmt.query(params![*level as i64, from, to, host])?;
                        while let Some(r) = rows.next()? {
                            add(*host, r.get(0)?, r.get(1)?);
                        }
                    }
                    for (a, b) in &raw {
                        let mut rows = raw_stmt.query(params![host, key_of(*a), key_of(*b)])?;
                        while let Some(r) = rows.next()? {
                            add(*host, r.get(0)?, r.get(1)?);
                        }
                    }
                }
            }
            None if per_host => {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT host, series, n FROM agg_host WHERE level = ?1 AND bucket >= ?2 AND bucket < ?3",
                )?;
                for Segment { level, from, to } in &segments {
                    let mut rows = stmt.query(params![*level as i64, from, to])?;
                    while let Some(r) = rows.next()? {
                        add(r.get(0)?, r.get(1)?, r.get(2)?);
                    }
                }
                let mut raw_stmt = self.conn.prepare_cached(
                    "SELECT host, series, COUNT(*) FROM ev WHERE id >= ?1 AND id < ?2 GROUP BY host, series",
                )?;
                for (a, b) in &raw {
                    let mut rows = raw_stmt.query(params![key_of(*a), key_of(*b)])?;
                    while let Some(r) = rows.next()? {
                        add(r.get(0)?, r.get(1)?, r.get(2)?);
                    }
                }
            }
            None => {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT series, n FROM agg WHERE level = ?1 AND bucket >= ?2 AND bucket < ?3",
                )?;
                for Segment { level, from, to } in &segments {
                    let mut rows = stmt.query(params![*level as i64, from, to])?;
                    while let Some(r) = rows.next()? {
                        add(0, r.get(0)?, r.get(1)?);
                    }
                }
                let mut raw_stmt = self.conn.prepare_cached(
                    "SELECT series, COUNT(*) FROM ev WHERE id >= ?1 AND id < ?2 GROUP BY series",
                )?;
                for (a, b) in &raw {
                    let mut rows = raw_stmt.query(params![key_of(*a), key_of(*b)])?;
                    while let Some(r) = rows.next()? {
                        add(0, r.get(0)?, r.get(1)?);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Walks the events matching `q` newest first, calling `f(id, series, host)` until it
    /// returns false. With indexed words, the word index finds them (hosts and series too,
    /// through their store tokens); without, the time range is read. Substring terms are
    /// checked on each event's output (and the catalog's names).
    fn walk(
        &self,
        q: &Query,
        sel: &Selection,
        words: Option<&str>,
        substrings: &[String],
        mut f: impl FnMut(i64, i64, i64) -> bool,
    ) -> Result<(), StoreError> {
        let (from, to) = agg::range_of(q.from_us, q.to_us);
        let (lo, hi) = (key_of(from), key_of(to));
        // Substring terms: series and hosts whose names contain them match without a look at
        // the output.
        let containing: Vec<(Vec<i64>, Vec<i64>)> = substrings
            .iter()
            .map(|t| self.catalog.containing(t))
            .collect();
        let body_col = if substrings.is_empty() {
            "NULL"
        } else {
            "e.body"
        };
        let mut visit = |r: &rusqlite::Row<'_>| -> Result<bool, StoreError> {
            let (id, series, host): (i64, i64, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
            if !sel.admits(series, host) {
                return Ok(true);
            }
            let mut output: Option<String> = None;
            for (t, (s, h)) in substrings.iter().zip(&containing) {
                if s.binary_search(&series).is_ok() || h.binary_search(&host).is_ok() {
                    continue;
                }
                if output.is_none() {
                    output = Some(text::output_of(&self.json(r.get_ref(3)?)?).unwrap_or_default());
                }
                if !text::contains_ignore_ascii_case(output.as_deref().unwrap_or_default(), t) {
                    return Ok(true);
                }
            }
            Ok(f(id, series, host))
        };
        match words.map(|w| and_expr([Some(w.to_owned()), dims_expr(sel)])) {
            Some(expr) => {
                let mut stmt = self.conn.prepare_cached(&format!(
                    "SELECT e.id, e.series, e.host, {body_col} FROM ev_words JOIN ev e ON e.id = ev_words.rowid
                     WHERE ev_words MATCH ?1 AND ev_words.rowid >= ?2 AND ev_words.rowid < ?3
                     ORDER BY ev_words.rowid DESC"
                ))?;
                let mut rows = stmt.query(params![expr, lo, hi])?;
                while let Some(r) = rows.next()? {
                    if !visit(r)? {
                        break;
                    }
                }
            }
            None => {
                let mut stmt = self.conn.prepare(&format!(
                    "SELECT e.id, e.series, e.host, {body_col} FROM ev e
                     WHERE e.id >= ?1 AND e.id < ?2{} ORDER BY e.id DESC",
                    dims_sql(sel)
                ))?;
                let mut rows = stmt.query(params![lo, hi])?;
                while let Some(r) = rows.next()? {
                    if !visit(r)? {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// The row ids of one page of `q` (no free-text terms), newest first: through the word
    /// index's host and series tokens when the filter is selective (`all` of the `window`'s
    /// events match), else by reading the time range newest first.
    fn page_ids(
        &self,
        q: &Query,
        sel: &Selection,
        all: u64,
        window: u64,
    ) -> Result<Vec<i64>, StoreError> {
        let (lo, hi, limit, offset) = page_bounds(q);
        if lo >= hi {
            return Ok(Vec::new());
        }
        let selective = all.saturating_mul(SELECTIVE) < window;
        let ids = match dims_expr(sel).filter(|_| selective) {
            Some(expr) => self
                .conn
                .prepare_cached(
                    "SELECT rowid FROM ev_words WHERE ev_words MATCH ?1 AND rowid >= ?2 AND rowid < ?3
                     ORDER BY rowid DESC LIMIT ?4 OFFSET ?5",
                )?
                .query_map(params![expr, lo, hi, limit, offset], |r| r.get::<_, i64>(0))?
                .collect::<Result<Vec<_>, _>>()?,
            None => self
                .conn
                .prepare(&format!(
                    "SELECT id FROM ev WHERE id >= ?1 AND id < ?2{} ORDER BY id DESC LIMIT ?3 OFFSET ?4",
                    dims_sql(sel)
                ))?
                .query_map(params![lo, hi, limit, offset], |r| r.get::<_, i64>(0))?
                .collect::<Result<Vec<_>, _>>()?,
        };
        Ok(ids)
    }

    /// Events matching a word-index expression (which includes `sel`'s hosts and series) in
    /// `[from, to)`, counted newest first up to [`EXACT_MATCHES`], then estimated from the
    /// counts of `sel`; true when estimated.
    fn fts_count_capped(
        &self,
        expr: &str,
        from: i64,
        to: i64,
        sel: &Selection,
    ) -> Result<(u64, bool), StoreError> {
        let (found, oldest): (i64, Option<i64>) = self
            .conn
            .prepare_cached(
                "SELECT COUNT(*), MIN(rowid) FROM (SELECT rowid FROM ev_words
                 WHERE ev_words MATCH ?1 AND rowid >= ?2 AND rowid < ?3 ORDER BY rowid DESC LIMIT ?4)",
            )?
            .query_row(
                params![expr, key_of(from), key_of(to), EXACT_MATCHES as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
        let found = found.unsigned_abs();
        match oldest {
            Some(oldest) if found >= EXACT_MATCHES => {
                Ok((self.estimate(found, ts_of(oldest), from, to, sel)?, true))
            }
            _ => Ok((found, false)),
        }
    }

    /// [`estimate_matches`] of `found` matches among the events of `sel` in `[oldest, to)`
    /// for the range `[from, to)`.
    fn estimate(
        &self,
        found: u64,
        oldest: i64,
        from: i64,
        to: i64,
        sel: &Selection,
    ) -> Result<u64, StoreError> {
        let window = sum(&self.tally(from, to, sel, false)?);
        let newer = sum(&self.tally(oldest.max(from), to, sel, false)?);
        Ok(estimate_matches(found, newer, window))
    }

    /// Events matching a word-index expression in `[from, to)`.
    fn fts_count(&self, expr: &str, from: i64, to: i64) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached(
                "SELECT COUNT(*) FROM ev_words WHERE ev_words MATCH ?1 AND rowid >= ?2 AND rowid < ?3",
            )?
            .query_row(params![expr, key_of(from), key_of(to)], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }

    fn bodies(&self, ids: &[i64]) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body FROM ev WHERE id = ?1")?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(body) = stmt
                .query_row([id], |r| r.get::<_, SqlValue>(0))
                .optional()?
            {
                out.push(self.json(ValueRef::from(&body))?);
            }
        }
        Ok(out)
    }
}

/// Row id bounds, limit and offset of a page (a cursor replaces the offset).
fn page_bounds(q: &Query) -> (i64, i64, i64, i64) {
    let (from, to) = agg::range_of(q.from_us, q.to_us);
    let mut hi = key_of(to);
    let mut offset = i64::try_from(q.offset).unwrap_or(i64::MAX);
    if let Some(c) = q.cursor.as_deref().and_then(|c| c.parse::<i64>().ok()) {
        hi = hi.min(c);
        offset = 0;
    }
    (
        key_of(from),
        hi,
        i64::try_from(q.limit).unwrap_or(i64::MAX),
        offset,
    )
}

/// The next page's cursor: the last row id of a full page.
fn next_cursor(ids: &[i64], limit: i64) -> Option<String> {
    (i64::try_from(ids.len()).ok() == Some(limit))
        .then(|| ids.last().map(i64::to_string))
        .flatten()
}

/// The word-index expression selecting a selection's hosts and series through their store
/// tokens, or `None` without such filters.
fn dims_expr(sel: &Selection) -> Option<String> {
    let any = |tokens: Vec<String>| format!("({})", tokens.join(" OR "));
    and_expr([
        sel.hosts.as_ref().map(|h| {
            any(h
                .iter()
                .map(|h| format!("\"{}\"", text::host_token(*h)))
                .collect())
        }),
        sel.series.as_ref().map(|s| {
            any(s
                .iter()
                .map(|s| format!("\"{}\"", text::series_token(*s)))
                .collect())
        }),
    ])
}

/// Parts joined with AND, or `None` when there are none.
fn and_expr<const N: usize>(parts: [Option<String>; N]) -> Option<String> {
    let parts: Vec<String> = parts.into_iter().flatten().collect();
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// SQL conditions (over `ev`) for a selection's hosts and series: numbers, inlined.
fn dims_sql(sel: &Selection) -> String {
    let list = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let mut sql = String::new();
    if let Some(series) = &sel.series {
        sql.push_str(&format!(" AND series IN ({})", list(series)));
    }
    if let Some(hosts) = &sel.hosts {
        sql.push_str(&format!(" AND host IN ({})", list(hosts)));
    }
    sql
}

/// A query's free-text terms, split by how they are looked up.
struct Terms {
    fts: Option<String>,
    substrings: Vec<String>,
}

impl Terms {
    /// The terms of `q`, prefix words replaced by the whole words of the index they begin
    /// (read from the index's vocabulary through `conn`; on a failure the prefix stays).
    fn of(q: &Query, conn: &Connection) -> Terms {
        let terms: Vec<Term> = q.terms.iter().map(|t| Term::parse(t)).collect();
        Terms {
            fts: text::fts_query_expanded(&terms, |w| whole_words(conn, w)),
            substrings: text::substring_terms(&terms),
        }
    }

    fn is_empty(&self) -> bool {
        self.fts.is_none() && self.substrings.is_empty()
    }
}

/// The indexed words `prefix` begins, up to one more than [`text::MAX_PREFIX_EXPANSION`];
/// `None` when the vocabulary cannot say.
fn whole_words(conn: &Connection, prefix: &str) -> Option<Vec<String>> {
    let (lower, upper) = text::prefix_range(prefix)?;
    let listed = conn
        .prepare_cached("SELECT term FROM ev_words_terms WHERE term >= ?1 AND term < ?2 LIMIT ?3")
        .and_then(|mut stmt| {
            stmt.query_map(
                params![lower, upper, text::MAX_PREFIX_EXPANSION as i64 + 1],
                |r| r.get::<_, String>(0),
            )?
            .collect::<Result<Vec<_>, _>>()
        });
    match listed {
        Ok(words) => Some(words),
        Err(e) => {
            tracing::debug!(error = %e, prefix, "webui store: prefix not expanded");
            None
        }
    }
}

fn sum(t: &Tally) -> u64 {
    t.values().sum()
}

/// The events matching `q` (with free-text terms) over its whole time range, newest first:
/// from the cache when the same query was walked since the last write.
fn matches_of(
    reader: &Reader<'_>,
    q: &Query,
    sel: &Selection,
    terms: &Terms,
) -> Result<Matches, StoreError> {
    let key = format!(
        "{:?}",
        (
            &q.terms,
            &q.priorities,
            &q.rules,
            &q.sources,
            &q.hostnames,
            &q.tags,
            q.from_us,
            q.to_us
        )
    );
    let generation = reader.inner.generation.load(Ordering::Relaxed);
    if let Ok(cache) = reader.inner.matches.lock() {
        if let Some(c) = cache.as_ref() {
            if c.key == key && c.generation == generation {
                return Ok(c.matches.clone());
            }
        }
    }
    let mut found = Vec::new();
    reader.walk(
        q,
        sel,
        terms.fts.as_deref(),
        &terms.substrings,
        |id, series, host| {
            found.push((id, series, host));
            true
        },
    )?;
    let matches = Arc::new(found);
    if matches.len() <= CACHED_MATCHES {
        if let Ok(mut cache) = reader.inner.matches.lock() {
            *cache = Some(CachedMatches {
                key,
                generation,
                matches: matches.clone(),
            });
        }
    }
    Ok(matches)
}

/// Everything `count`, `count_by` and `timeline` need of the events matching `q` in
/// `[from, to)`: a tally, from the aggregates when there are no free-text terms, else from
/// the matching events.
fn tally_of(
    reader: &mut Reader<'_>,
    q: &Query,
    from: i64,
    to: i64,
    by_host: bool,
) -> Result<Tally, StoreError> {
    let sel = reader.select(q)?;
    if sel.is_empty() {
        return Ok(Tally::new());
    }
    let terms = Terms::of(q, reader.conn);
    let tally = if terms.is_empty() {
        reader.tally(from, to, &sel, by_host)?
    } else {
        let (lo, hi) = (key_of(from), key_of(to));
        let mut t = Tally::new();
        for (id, series, host) in matches_of(reader, q, &sel, &terms)?.iter() {
            if *id >= lo && *id < hi {
                *t.entry((if by_host { *host } else { 0 }, *series))
                    .or_default() += 1;
            }
        }
        t
    };
    let series: Vec<i64> = tally.keys().map(|k| k.1).collect();
    let hosts: Vec<i64> = if by_host {
        tally.keys().map(|k| k.0).collect()
    } else {
        Vec::new()
    };
    reader.refresh(&series, &hosts)?;
    Ok(tally)
}

fn search_blocking(reader: &mut Reader<'_>, q: &Query) -> Result<Page, StoreError> {
    let sel = reader.select(q)?;
    if sel.is_empty() {
        return Ok(Page::default());
    }
    let (from, to) = agg::range_of(q.from_us, q.to_us);
    let terms = Terms::of(q, reader.conn);
    let (lo, hi, limit, offset) = page_bounds(q);
    let (all, ids, estimated) = if terms.is_empty() {
        // The counts give the size of the result, and whether the filter is selective.
        let all = sum(&reader.tally(from, to, &sel, false)?);
        let window = if sel.is_all() {
            all
        } else {
            sum(&reader.tally(from, to, &Selection::default(), false)?)
        };
        if all == 0 {
            return Ok(Page::default());
        }
        (all, reader.page_ids(q, &sel, all, window)?, false)
    } else if let (Some(words), true) = (&terms.fts, terms.substrings.is_empty()) {
        // Words, and any host or series filter, all in the word index: it counts and pages.
        let expr = and_expr([Some(words.clone()), dims_expr(&sel)]).unwrap_or_default();
        let (all, estimated) = reader.fts_count_capped(&expr, from, to, &sel)?;
        let ids = reader
            .conn
            .prepare_cached(
                "SELECT rowid FROM ev_words WHERE ev_words MATCH ?1 AND rowid >= ?2 AND rowid < ?3
                 ORDER BY rowid DESC LIMIT ?4 OFFSET ?5",
            )?
            .query_map(params![expr, lo, hi, limit, offset], |r| r.get::<_, i64>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        (all, ids, estimated)
    } else {
        // Substring terms: walk the matches, newest first, until the page is full and
        // EXACT_MATCHES are counted.
        let mut all = 0u64;
        let mut ids = Vec::new();
        let mut oldest = hi;
        let (offset, limit) = (offset.unsigned_abs(), limit.unsigned_abs());
        let enough = EXACT_MATCHES.max(offset.saturating_add(limit));
        reader.walk(
            q,
            &sel,
            terms.fts.as_deref(),
            &terms.substrings,
            |id, _, _| {
                if id < hi && all >= offset && (ids.len() as u64) < limit {
                    ids.push(id);
                }
                all += 1;
                oldest = id;
                all < enough
            },
        )?;
        if all >= enough {
            let estimate = reader.estimate(all, ts_of(oldest), from, to, &sel)?;
            (estimate, ids, true)
        } else {
            (all, ids, false)
        }
    };
    Ok(Page {
        events: reader.bodies(&ids)?,
        all,
        estimated,
        next: next_cursor(&ids, limit),
    })
}

// ---------------------------------------------------------------------------------------
// Silences
// ---------------------------------------------------------------------------------------

const SILENCE_COLUMNS: &str = "id, match_expr, starts_at, ends_at, created_by, comment, created_at";

fn silence_of(r: &rusqlite::Row<'_>) -> Result<SilenceRecord, rusqlite::Error> {
    Ok(SilenceRecord {
        id: r.get(0)?,
        condition: r.get(1)?,
        starts_at_us: r.get(2)?,
        ends_at_us: r.get(3)?,
        created_by: r.get(4)?,
        comment: r.get(5)?,
        created_at_us: r.get(6)?,
    })
}

fn add_silence_blocking(
    conn: &mut Connection,
    s: &SilenceRecord,
    limit: u64,
    now_us: i64,
) -> Result<SilenceAdded, StoreError> {
    let tx = conn.transaction()?;
    let unended: i64 = tx.query_row(
        "SELECT COUNT(*) FROM silences WHERE ends_at > ?1",
        params![now_us],
        |r| r.get(0),
    )?;
    if unended.unsigned_abs() >= limit {
        return Ok(SilenceAdded::LimitReached);
    }
    tx.execute(
        &format!("INSERT INTO silences ({SILENCE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        params![
            s.id,
            s.condition,
            s.starts_at_us,
            s.ends_at_us,
            s.created_by,
            s.comment,
            s.created_at_us
        ],
    )?;
    tx.commit()?;
    Ok(SilenceAdded::Added)
}

fn expire_silence_blocking(
    conn: &mut Connection,
    id: &str,
    now_us: i64,
) -> Result<Option<SilenceRecord>, StoreError> {
    let tx = conn.transaction()?;
    tx.execute(
        "UPDATE silences SET starts_at = MIN(starts_at, ?2), ends_at = ?2
         WHERE id = ?1 AND ends_at > ?2",
        params![id, now_us],
    )?;
    let row = tx
        .query_row(
            &format!("SELECT {SILENCE_COLUMNS} FROM silences WHERE id = ?1"),
            params![id],
            silence_of,
        )
        .optional()?;
    tx.commit()?;
    Ok(row)
}

#[async_trait]
impl EventStore for SqliteStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Sqlite
    }

    async fn insert(&self, alerts: &[Arc<Alert>]) -> Result<u64, StoreError> {
        if alerts.is_empty() {
            return Ok(0);
        }
        let alerts = alerts.to_vec();
        let inner = self.inner.clone();
        // The rows (their index documents) and compressed bodies are made before the writer's
        // lock: only the database work is serial.
        tokio::task::spawn_blocking(move || {
            let mut rows: Vec<Row<'_>> = alerts.iter().map(|a| Row::from_alert(a)).collect();
            let compressor = inner
                .compressor
                .read()
                .map_err(|_| StoreError::Task("compressor poisoned".into()))?
                .clone();
            let bodies = rows
                .iter()
                .map(|r| compressor.as_ref().and_then(|c| c.compress(&r.json)))
                .collect();
            let mut writer = inner
                .writer
                .lock()
                .map_err(|_| StoreError::Task("writer poisoned".into()))?;
            insert_rows(&mut writer, &inner, &mut rows, bodies)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    async fn search(&self, q: &Query) -> Result<Page, StoreError> {
        let q = q.clone();
        self.read(move |reader| search_blocking(reader, &q)).await
    }

    async fn count(&self, q: &Query) -> Result<u64, StoreError> {
        let q = q.clone();
        self.read(move |reader| {
            let (from, to) = agg::range_of(q.from_us, q.to_us);
            let terms = Terms::of(&q, reader.conn);
            let sel = reader.select(&q)?;
            if let (Some(words), true, false) =
                (&terms.fts, terms.substrings.is_empty(), sel.is_empty())
            {
                let expr = and_expr([Some(words.clone()), dims_expr(&sel)]).unwrap_or_default();
                return reader.fts_count(&expr, from, to);
            }
            Ok(sum(&tally_of(reader, &q, from, to, false)?))
        })
        .await
    }

    async fn count_by_each(
        &self,
        q: &Query,
        bys: &[GroupBy],
    ) -> Result<Vec<Vec<(String, u64)>>, StoreError> {
        let q = q.clone();
        let bys = bys.to_vec();
        self.read(move |reader| {
            let (from, to) = agg::range_of(q.from_us, q.to_us);
            // One read: per (host, series) when a grouping is by host, else per series.
            let by_host = bys.contains(&GroupBy::Hostname);
            let tally = tally_of(reader, &q, from, to, by_host)?;
            let mut per_host: HashMap<i64, u64> = HashMap::new();
            let mut per_series: HashMap<i64, u64> = HashMap::new();
            for ((host, series), n) in tally {
                *per_series.entry(series).or_default() += n;
                if by_host {
                    *per_host.entry(host).or_default() += n;
                }
            }
            Ok(bys
                .iter()
                .map(|by| {
                    if *by == GroupBy::Hostname {
                        reader.catalog.group_hosts(&per_host)
                    } else {
                        reader.catalog.group(&per_series, *by)
                    }
                })
                .collect())
        })
        .await
    }

    async fn timeline_each(
        &self,
        q: &Query,
        bys: &[TimelineBy],
        start_us: i64,
        width_us: i64,
        buckets: u32,
    ) -> Result<Vec<Vec<TimelineCell>>, StoreError> {
        let q = q.clone();
        let bys = bys.to_vec();
        self.read(move |reader| {
            let width = width_us.max(1);
            let (qf, qt) = agg::range_of(q.from_us, q.to_us);
            // Events per (bucket, series), labelled per grouping at the end.
            let mut per: HashMap<(u32, i64), u64> = HashMap::new();
            // Without an end, the last bucket also takes what is newer than the grid (alerts
            // from a clock ahead of ours, and those stored while this runs): the current
            // minute is then read from the counts, not from its events.
            let open_end = q.to_us.is_none();
            if q.terms.is_empty() {
                for b in 0..buckets {
                    let a = start_us.saturating_add(width.saturating_mul(i64::from(b)));
                    let z = if open_end && b + 1 == buckets {
                        agg::FAR_FUTURE_US
                    } else {
                        a.saturating_add(width)
                    };
                    let (a, z) = (a.max(qf), z.min(qt));
                    if a >= z {
                        continue;
                    }
                    let tally = tally_of(reader, &q, a, z, false)?;
                    for ((_, series), n) in tally {
                        *per.entry((b, series)).or_default() += n;
                    }
                }
            } else {
                let end = start_us.saturating_add(width.saturating_mul(i64::from(buckets)));
                let lo = key_of(qf.max(start_us));
                let hi = if open_end {
                    i64::MAX
                } else {
                    key_of(qt.min(end))
                };
                let sel = reader.select(&q)?;
                if !sel.is_empty() {
                    let terms = Terms::of(&q, reader.conn);
                    // The query's own matches (cached for the page's other counts).
                    for (id, series, _) in matches_of(reader, &q, &sel, &terms)?.iter() {
                        if *id < lo || *id >= hi {
                            continue;
                        }
                        let b = (ts_of(*id) - start_us).div_euclid(width);
                        let b = if open_end {
                            b.min(i64::from(buckets) - 1)
                        } else {
                            b
                        };
                        if let Ok(b) = u32::try_from(b) {
                            if b < buckets {
                                *per.entry((b, *series)).or_default() += 1;
                            }
                        }
                    }
                    let series: Vec<i64> = per.keys().map(|k| k.1).collect();
                    reader.refresh(&series, &[])?;
                }
            }
            Ok(bys
                .iter()
                .map(|by| {
                    let mut cells: HashMap<(u32, String), u64> = HashMap::new();
                    for ((b, series), n) in &per {
                        if let Some(label) = reader.catalog.label(*series, *by) {
                            *cells.entry((*b, label)).or_default() += n;
                        }
                    }
                    cells.into_iter().map(|((b, p), n)| (b, p, n)).collect()
                })
                .collect())
        })
        .await
    }

    async fn get(&self, uuid: &str) -> Result<Option<String>, StoreError> {
        let key = uuid_value(uuid);
        let token = format!("\"{}\"", text::uuid_token(uuid));
        self.read(move |reader| {
            let mut stmt = reader.conn.prepare_cached(
                "SELECT e.uuid, e.body FROM ev_words JOIN ev e ON e.id = ev_words.rowid
                 WHERE ev_words MATCH ?1 ORDER BY ev_words.rowid DESC",
            )?;
            let mut rows = stmt.query([token])?;
            while let Some(r) = rows.next()? {
                if SqlValue::from(r.get_ref(0)?) == key {
                    return Ok(Some(reader.json(r.get_ref(1)?)?));
                }
            }
            Ok(None)
        })
        .await
    }

    async fn record_drops(&self, counts: &[DropCount]) -> Result<(), StoreError> {
        let counts = merge(counts);
        if counts.is_empty() {
            return Ok(());
        }
        self.write(move |w, _| {
            let tx = w.conn.transaction()?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO dropped (minute, reason, n) VALUES (?1, ?2, ?3)
                     ON CONFLICT(minute, reason) DO UPDATE SET n = n + excluded.n",
                )?;
                for c in &counts {
                    let n = i64::try_from(c.count).unwrap_or(i64::MAX);
                    stmt.execute(params![c.minute_us, c.reason, n])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn drops(&self, from_us: Option<i64>, to_us: Option<i64>) -> Result<Drops, StoreError> {
        let (from, to) = minute_bounds(from_us, to_us);
        self.read(move |reader| {
            let mut stmt = reader.conn.prepare_cached(
                "SELECT reason, SUM(n) FROM dropped WHERE minute >= ?1 AND minute < ?2
                 GROUP BY reason",
            )?;
            let rows = stmt
                .query_map(params![from, to], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.unsigned_abs()))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Drops::from_rows(rows))
        })
        .await
    }

    async fn add_silence(
        &self,
        silence: &SilenceRecord,
        limit: u64,
        now_us: i64,
    ) -> Result<SilenceAdded, StoreError> {
        let s = silence.clone();
        let added = self
            .write(move |w, _| add_silence_blocking(&mut w.conn, &s, limit, now_us))
            .await?;
        if added == SilenceAdded::Added {
            self.silence_signal.bump();
        }
        Ok(added)
    }

    async fn silences(
        &self,
        unended_only: bool,
        now_us: i64,
        limit: u64,
    ) -> Result<Vec<SilenceRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // Expired ones have `ends_at <= now`: with `unended_only` off, every row passes.
        let after = if unended_only { now_us } else { i64::MIN };
        self.read(move |reader| {
            let mut stmt = reader.conn.prepare_cached(&format!(
                "SELECT {SILENCE_COLUMNS} FROM silences WHERE ends_at > ?1
                 ORDER BY created_at DESC, rowid DESC LIMIT ?2"
            ))?;
            let rows = stmt
                .query_map(params![after, limit], silence_of)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn expire_silence(
        &self,
        id: &str,
        now_us: i64,
    ) -> Result<Option<SilenceRecord>, StoreError> {
        let id = id.to_owned();
        let row = self
            .write(move |w, _| expire_silence_blocking(&mut w.conn, &id, now_us))
            .await?;
        if row.is_some() {
            self.silence_signal.bump();
        }
        Ok(row)
    }

    fn silence_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.silence_signal.subscribe()
    }

    async fn retain(&self, retention: &Retention, now_us: i64) -> Result<u64, StoreError> {
        let r = *retention;
        // One chunk per turn of the writer, so batches of new alerts go in between.
        let mut deleted = 0u64;
        loop {
            let n = self
                .write(move |w, inner| {
                    let n = retain_step(&mut w.conn, &r, now_us)?;
                    if n > 0 {
                        inner.generation.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(n)
                })
                .await?;
            if n == 0 {
                break;
            }
            deleted += n;
        }
        self.write(move |w, _| retain_finish(&mut w.conn, &r, now_us, deleted))
            .await?;
        Ok(deleted)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|reader| {
            reader.conn.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }
}
