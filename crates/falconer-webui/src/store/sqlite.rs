//! The embedded store: one SQLite file in WAL mode, a writer connection and two reader
//! connections (reads never wait for a batch insert), blocking calls on tokio's blocking
//! pool. Full-text search uses a contentless FTS5 table with the trigram tokenizer, so a
//! `filter` term matches any substring (as falcosidekick-ui's `*term*`).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use falconer_event::Alert;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OpenFlags, OptionalExtension};

use super::{EventStore, Page, StoreError, TimelineCell};
use crate::event::Row;
use crate::query::{like_pattern, GroupBy, Query};
use crate::settings::{Retention, StoreKind};

const READERS: usize = 2;
/// Events deleted per retention transaction, so inserts are never held up for long.
const DELETE_CHUNK: i64 = 5_000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    ts INTEGER NOT NULL,
    priority TEXT NOT NULL,
    rule TEXT NOT NULL,
    source TEXT NOT NULL,
    hostname TEXT NOT NULL,
    output TEXT NOT NULL,
    json TEXT NOT NULL
);
-- (ts, priority) covers time ranges and the timeline without reading rows.
CREATE INDEX IF NOT EXISTS events_ts ON events(ts, priority);
CREATE INDEX IF NOT EXISTS events_priority_ts ON events(priority, ts);
CREATE INDEX IF NOT EXISTS events_rule_ts ON events(rule, ts);
CREATE INDEX IF NOT EXISTS events_source_ts ON events(source, ts);
CREATE INDEX IF NOT EXISTS events_hostname_ts ON events(hostname, ts);
CREATE TABLE IF NOT EXISTS event_tags (
    tag TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    PRIMARY KEY (tag, event_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS event_tags_event ON event_tags(event_id);
CREATE INDEX IF NOT EXISTS event_tags_ts ON event_tags(ts, tag);
CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(
    doc, content='', contentless_delete=1, tokenize='trigram'
);
PRAGMA user_version = 1;
";

struct Inner {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

/// The SQLite store.
pub(crate) struct SqliteStore {
    inner: Arc<Inner>,
}

fn configure(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
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
        let writer = Connection::open(path)?;
        // Must precede the first table of a new file; a no-op on an existing one.
        writer.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
        configure(&writer)?;
        writer.execute_batch(SCHEMA)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let r = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            r.busy_timeout(std::time::Duration::from_secs(10))?;
            readers.push(Mutex::new(r));
        }
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                readers,
                next: AtomicUsize::new(0),
            }),
        })
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let start = inner.next.fetch_add(1, Ordering::Relaxed);
            // A free reader if there is one, else wait for the next in turn.
            for i in 0..inner.readers.len() {
                if let Ok(conn) = inner.readers[(start + i) % inner.readers.len()].try_lock() {
                    return f(&conn);
                }
            }
            let conn = inner.readers[start % inner.readers.len()]
                .lock()
                .map_err(|_| StoreError::Task("reader poisoned".into()))?;
            f(&conn)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner
                .writer
                .lock()
                .map_err(|_| StoreError::Task("writer poisoned".into()))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

/// A WHERE clause (over `events e`) and its parameters.
struct Filter {
    sql: String,
    params: Vec<SqlValue>,
}

fn in_list(sql: &mut String, params: &mut Vec<SqlValue>, column: &str, values: &[String]) {
    if values.is_empty() {
        return;
    }
    sql.push_str(" AND ");
    sql.push_str(column);
    sql.push_str(" IN (");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            sql.push(',');
        }
        sql.push('?');
        params.push(SqlValue::Text(v.clone()));
    }
    sql.push(')');
}

fn filter(q: &Query) -> Filter {
    let mut sql = String::from("1=1");
    let mut params = Vec::new();
    if let Some(from) = q.from_us {
        sql.push_str(" AND e.ts >= ?");
        params.push(SqlValue::Integer(from));
    }
    if let Some(to) = q.to_us {
        sql.push_str(" AND e.ts < ?");
        params.push(SqlValue::Integer(to));
    }
    in_list(&mut sql, &mut params, "e.priority", &q.priorities);
    in_list(&mut sql, &mut params, "e.rule", &q.rules);
    in_list(&mut sql, &mut params, "e.source", &q.sources);
    in_list(&mut sql, &mut params, "e.hostname", &q.hostnames);
    if !q.tags.is_empty() {
        sql.push_str(" AND e.id IN (SELECT event_id FROM event_tags WHERE 1=0");
        for t in &q.tags {
            sql.push_str(" OR tag = ?");
            params.push(SqlValue::Text(t.clone()));
        }
        sql.push(')');
    }
    // Trigram MATCH needs 3 characters; shorter terms fall back to LIKE on the columns.
    let (long, short): (Vec<&String>, Vec<&String>) =
        q.terms.iter().partition(|t| t.chars().count() >= 3);
    if !long.is_empty() {
        let phrase = long
            .iter()
            .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" AND ");
        sql.push_str(" AND e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)");
        params.push(SqlValue::Text(phrase));
    }
    for t in short {
        sql.push_str(
            " AND (e.output LIKE ? ESCAPE '\\' OR e.rule LIKE ? ESCAPE '\\' \
             OR e.source LIKE ? ESCAPE '\\' OR e.hostname LIKE ? ESCAPE '\\')",
        );
        let pattern = like_pattern(t);
        for _ in 0..4 {
            params.push(SqlValue::Text(pattern.clone()));
        }
    }
    Filter { sql, params }
}

fn insert_rows(conn: &mut Connection, rows: &[Row]) -> Result<u64, StoreError> {
    let tx = conn.transaction()?;
    let mut added = 0u64;
    {
        let mut event = tx.prepare_cached(
            "INSERT INTO events (uuid, ts, priority, rule, source, hostname, output, json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(uuid) DO NOTHING",
        )?;
        let mut fts = tx.prepare_cached("INSERT INTO events_fts (rowid, doc) VALUES (?1, ?2)")?;
        let mut tag = tx.prepare_cached(
            "INSERT OR IGNORE INTO event_tags (tag, event_id, ts) VALUES (?1, ?2, ?3)",
        )?;
        for r in rows {
            let n = event.execute(params![
                r.uuid, r.ts_us, r.priority, r.rule, r.source, r.hostname, r.output, r.json
            ])?;
            if n == 0 {
                continue;
            }
            let id = tx.last_insert_rowid();
            fts.execute(params![id, r.doc])?;
            for t in &r.tags {
                tag.execute(params![t, id, r.ts_us])?;
            }
            added += 1;
        }
    }
    tx.commit()?;
    Ok(added)
}

/// Deletes events by id, with their tags and full-text rows.
fn delete_ids(conn: &mut Connection, ids: &[i64]) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    {
        let mut fts = tx.prepare_cached("DELETE FROM events_fts WHERE rowid = ?1")?;
        let mut tags = tx.prepare_cached("DELETE FROM event_tags WHERE event_id = ?1")?;
        let mut ev = tx.prepare_cached("DELETE FROM events WHERE id = ?1")?;
        for id in ids {
            fts.execute([id])?;
            tags.execute([id])?;
            ev.execute([id])?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn ids(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(p, |r| r.get::<_, i64>(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn retain_blocking(conn: &mut Connection, r: &Retention, now_us: i64) -> Result<u64, StoreError> {
    let mut deleted = 0u64;
    if !r.maxage.0.is_zero() {
        let age = i64::try_from(r.maxage.0.as_micros()).unwrap_or(i64::MAX);
        let cutoff = now_us.saturating_sub(age);
        loop {
            let batch = ids(
                conn,
                "SELECT id FROM events WHERE ts < ?1 LIMIT ?2",
                params![cutoff, DELETE_CHUNK],
            )?;
            if batch.is_empty() {
                break;
            }
            delete_ids(conn, &batch)?;
            deleted += batch.len() as u64;
        }
    }
    if r.maxevents > 0 {
        let max = i64::try_from(r.maxevents).unwrap_or(i64::MAX);
        loop {
            let total: i64 = conn.query_row("SELECT COUNT(*) FROM events", [], |row| row.get(0))?;
            let excess = total.saturating_sub(max);
            if excess <= 0 {
                break;
            }
            let batch = ids(
                conn,
                "SELECT id FROM events ORDER BY ts ASC, id ASC LIMIT ?1",
                params![excess.min(DELETE_CHUNK)],
            )?;
            if batch.is_empty() {
                break;
            }
            delete_ids(conn, &batch)?;
            deleted += batch.len() as u64;
        }
    }
    if deleted > 0 {
        // Give most freed pages back to the file system, a bounded amount per run.
        conn.execute_batch("PRAGMA incremental_vacuum(4096);")?;
    }
    Ok(deleted)
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
        let rows: Vec<Row> = alerts.iter().map(|a| Row::from_alert(a)).collect();
        self.write(move |conn| insert_rows(conn, &rows)).await
    }

    async fn search(&self, q: &Query) -> Result<Page, StoreError> {
        let f = filter(q);
        let (limit, offset) = (
            i64::try_from(q.limit).unwrap_or(i64::MAX),
            i64::try_from(q.offset).unwrap_or(i64::MAX),
        );
        self.read(move |conn| {
            let all: i64 = conn.query_row(
                &format!("SELECT COUNT(*) FROM events e WHERE {}", f.sql),
                params_from_iter(f.params.iter()),
                |r| r.get(0),
            )?;
            let mut p = f.params.clone();
            p.push(SqlValue::Integer(limit));
            p.push(SqlValue::Integer(offset));
            let mut stmt = conn.prepare(&format!(
                "SELECT e.json FROM events e WHERE {} ORDER BY e.ts DESC, e.id DESC LIMIT ? OFFSET ?",
                f.sql
            ))?;
            let events = stmt
                .query_map(params_from_iter(p.iter()), |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Page {
                events,
                all: all.unsigned_abs(),
            })
        })
        .await
    }

    async fn count(&self, q: &Query) -> Result<u64, StoreError> {
        let f = filter(q);
        self.read(move |conn| {
            let n: i64 = conn.query_row(
                &format!("SELECT COUNT(*) FROM events e WHERE {}", f.sql),
                params_from_iter(f.params.iter()),
                |r| r.get(0),
            )?;
            Ok(n.unsigned_abs())
        })
        .await
    }

    async fn count_by(&self, q: &Query, by: GroupBy) -> Result<Vec<(String, u64)>, StoreError> {
        let f = filter(q);
        let time_only = q.priorities.is_empty()
            && q.rules.is_empty()
            && q.sources.is_empty()
            && q.hostnames.is_empty()
            && q.tags.is_empty()
            && q.terms.is_empty();
        let sql = match by {
            // With only a time window, the tags table (it carries the time) answers alone.
            GroupBy::Tags if time_only => format!(
                "SELECT t.tag, COUNT(*) FROM event_tags t WHERE {} GROUP BY t.tag ORDER BY 2 DESC, 1",
                f.sql.replace("e.ts", "t.ts")
            ),
            GroupBy::Tags => format!(
                "SELECT t.tag, COUNT(*) FROM events e JOIN event_tags t ON t.event_id = e.id
                 WHERE {} GROUP BY t.tag ORDER BY 2 DESC, 1",
                f.sql
            ),
            other => format!(
                "SELECT e.{col}, COUNT(*) FROM events e WHERE {w} GROUP BY e.{col} ORDER BY 2 DESC, 1",
                col = other.as_str(),
                w = f.sql
            ),
        };
        self.read(move |conn| {
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt
                .query_map(params_from_iter(f.params.iter()), |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.unsigned_abs()))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn timeline(
        &self,
        q: &Query,
        start_us: i64,
        width_us: i64,
        buckets: u32,
    ) -> Result<Vec<TimelineCell>, StoreError> {
        let mut q = q.clone();
        let width_us = width_us.max(1);
        let end = start_us.saturating_add(width_us.saturating_mul(i64::from(buckets)));
        q.from_us = Some(q.from_us.map_or(start_us, |f| f.max(start_us)));
        q.to_us = Some(q.to_us.map_or(end, |t| t.min(end)));
        let f = filter(&q);
        let sql = format!(
            "SELECT (e.ts - {start_us}) / {width_us} AS b, e.priority, COUNT(*) FROM events e
             WHERE {} GROUP BY b, e.priority",
            f.sql
        );
        self.read(move |conn| {
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt
                .query_map(params_from_iter(f.params.iter()), |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })?
                .filter_map(|r| match r {
                    Ok((b, p, n)) => u32::try_from(b)
                        .ok()
                        .filter(|b| *b < buckets)
                        .map(|b| Ok((b, p, n.unsigned_abs()))),
                    Err(e) => Some(Err(e)),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn get(&self, uuid: &str) -> Result<Option<String>, StoreError> {
        let uuid = uuid.to_owned();
        self.read(move |conn| {
            Ok(conn
                .query_row("SELECT json FROM events WHERE uuid = ?1", [uuid], |r| {
                    r.get(0)
                })
                .optional()?)
        })
        .await
    }

    async fn retain(&self, retention: &Retention, now_us: i64) -> Result<u64, StoreError> {
        let r = *retention;
        self.write(move |conn| retain_blocking(conn, &r, now_us))
            .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }
}
