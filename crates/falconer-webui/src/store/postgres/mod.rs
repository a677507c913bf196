//! The shared store: PostgreSQL, for several Falconer replicas behind one UI.
//!
//! Layout (the table `t` of `ui.store.table`):
//! - `t`: one row per event: UUID (unique), time (µs), the series and host numbers of the
//!   [catalog](super::catalog), its distinct words as a `tsvector` without positions (GIN
//!   index; see [`super::text`]) and the alert's JSON: `zbody`, compressed by Falconer with a
//!   zstd dictionary as in the embedded store ([`super::codec`]), or `body`, the text (the
//!   first alerts, before there is a dictionary, and rows of older Falconers). B-tree indexes
//!   on (time, id), (series, time) and (host, time).
//! - `t_agg`, `t_agg_host`: events per minute, hour and day × series (× host), kept by every
//!   insert and delete in the same transaction (see [`super::agg`]).
//! - `t_dims`, `t_series`: the catalog. `t_zdict`: the compression dictionaries (every
//!   replica's; replicas adopt the first one stored). `t_dropped`, `t_silences` as before.
//!
//! The server cannot read compressed bodies, so substring terms (short search terms) are
//! checked here, on the rows the rest of the query selects, read through a cursor.
//!
//! A batch is two statements: the events as one `INSERT … SELECT FROM UNNEST(…) ON CONFLICT
//! (uuid) DO NOTHING RETURNING`, then one upsert of the counts of what was new. A table
//! written by an older Falconer (text columns, a trigram index on the search text) is
//! converted in place when opened, under an advisory lock so replicas do it once.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use falconer_event::Alert;
use tokio_postgres::types::ToSql;
use zstd::zstd_safe::DCtx;

use super::agg::{self, Deltas};
use super::catalog::{tagset_key, Catalog, DimKind, Selection, SeriesKey};
use super::codec::{Dictionaries, Encoder};
use super::drops::{drops_cutoff, merge, minute_bounds, DEFAULT_KEEP_US};
use super::silences::{SilenceSignal, DEFAULT_SILENCE_KEEP_US};
use super::text::Term;
use super::{
    estimate_matches, DropCount, Drops, EventStore, Page, SilenceAdded, SilenceRecord, StoreError,
    TimelineBy, TimelineCell, EXACT_MATCHES,
};
use crate::event::Row;
use crate::query::{GroupBy, Query};
use crate::settings::{is_table_name, Retention, StoreKind, StoreSettings};

mod bodies;
mod scan;
mod schema;

use scan::{newest_sql, Substrings};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DELETE_CHUNK: i64 = 10_000;
/// Events converted per statement when migrating an older table.
const MIGRATE_CHUNK: i64 = 5_000;
/// Newest events of a free-text search's range (and dimension filters) whose words are tested
/// one by one before the word index is asked: a word in 1 event of 200 fills a page of 100.
const WALK: i64 = 20_000;
/// Matches among the [`WALK`] newest events enough to scale their share to the range.
const MIN_SAMPLE: u64 = 200;
/// Longest word kept in the `tsvector` (PostgreSQL refuses lexemes over 2 KiB).
const MAX_LEXEME: usize = 1_000;

/// The PostgreSQL store.
pub(crate) struct PgStore {
    pool: Pool,
    /// The events table; the others are named after it.
    table: String,
    /// Events stored when the table's statistics were last refreshed by this handle.
    analyzed_at: std::sync::atomic::AtomicI64,
    catalog: RwLock<Arc<Catalog>>,
    silence_signal: SilenceSignal,
    /// The bodies' compression dictionaries (every replica's), by number.
    dicts: RwLock<Dictionaries>,
    /// The dictionary new bodies are compressed with, or samples towards one.
    encoder: std::sync::Mutex<Encoder>,
}

fn pool_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Pool(e.to_string())
}

fn u(n: i64) -> u64 {
    n.unsigned_abs()
}

/// A `tsvector` literal of a document's words (lowercased, each once, no positions).
fn tsvector_literal(doc: &str) -> String {
    let mut seen = std::collections::HashSet::new();
    let mut out = String::with_capacity(doc.len() + 64);
    for w in doc
        .split(' ')
        .filter(|w| !w.is_empty() && w.len() <= MAX_LEXEME)
    {
        let w = w.to_lowercase();
        if seen.insert(w.clone()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push('\'');
            out.push_str(&w);
            out.push('\'');
        }
    }
    out
}

/// A `tsquery` literal of indexed terms: every word, the open last one as a prefix.
fn tsquery_literal(terms: &[Term]) -> Option<String> {
    let parts: Vec<String> = terms
        .iter()
        .filter_map(|t| match t {
            Term::Indexed { words, .. } => Some(words),
            Term::Substring(_) => None,
        })
        .flatten()
        .map(|(w, prefix)| format!("'{}'{}", w.to_lowercase(), if *prefix { ":*" } else { "" }))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" & "))
}

/// Parameters of a statement, numbered as they are pushed.
#[derive(Default)]
struct Params {
    values: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Params {
    fn push(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.values.push(Box::new(value));
        format!("${}", self.values.len())
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.values
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// What a free-text search's count found.
#[derive(Default)]
struct Matches {
    /// Matching events (estimated when `estimated`).
    all: u64,
    estimated: bool,
    /// The walk of the newest events saw every event of the range and filters: its page is
    /// the whole answer.
    whole: bool,
}

impl Matches {
    fn exact(all: u64, whole: bool) -> Matches {
        Matches {
            all,
            estimated: false,
            whole,
        }
    }

    fn estimated(all: u64, whole: bool) -> Matches {
        Matches {
            all,
            estimated: true,
            whole,
        }
    }
}

/// The conditions (over `t e`) selecting the events of `q` in `[from, to)` that its
/// dimension filters and indexed words select (in `sql`), and its substring terms.
fn event_filter(
    q: &Query,
    sel: &Selection,
    catalog: &Catalog,
    from: i64,
    to: i64,
    p: &mut Params,
) -> TextFilter {
    let mut sql = dims_filter(sel, from, to, p);
    let mut text = text_filter(q, catalog, p);
    sql.push_str(&text.sql);
    text.sql = sql;
    text
}

/// The conditions (over `t e`) selecting the events in `[from, to)` that `sel` admits.
fn dims_filter(sel: &Selection, from: i64, to: i64, p: &mut Params) -> String {
    let mut sql = format!("e.ts >= {} AND e.ts < {}", p.push(from), p.push(to));
    if let Some(series) = &sel.series {
        let s: Vec<i32> = series
            .iter()
            .filter_map(|s| i32::try_from(*s).ok())
            .collect();
        sql.push_str(&format!(" AND e.series = ANY({})", p.push(s)));
    }
    if let Some(hosts) = &sel.hosts {
        let h: Vec<i32> = hosts
            .iter()
            .filter_map(|h| i32::try_from(*h).ok())
            .collect();
        sql.push_str(&format!(" AND e.host = ANY({})", p.push(h)));
    }
    sql
}

/// The free-text conditions of a query: the word index's, each starting with ` AND`, and
/// the substring terms, checked here.
struct TextFilter {
    sql: String,
    /// True when a term is looked up in the word index (`e.words @@ …`).
    indexed: bool,
    substrings: Substrings,
}

/// The conditions (over `e`, an events row) its free-text terms select.
fn text_filter(q: &Query, catalog: &Catalog, p: &mut Params) -> TextFilter {
    let mut sql = String::new();
    let mut indexed = false;
    let terms: Vec<Term> = q.terms.iter().map(|t| Term::parse(t)).collect();
    let too_long = terms.iter().any(|t| match t {
        Term::Indexed { words, .. } => words.iter().any(|(w, _)| w.len() > MAX_LEXEME),
        Term::Substring(_) => false,
    });
    if too_long {
        // No stored word is that long (documents keep words up to MAX_LEXEME bytes), and
        // PostgreSQL refuses such a lexeme in a query.
        sql.push_str(" AND FALSE");
    } else if let Some(tsq) = tsquery_literal(&terms) {
        sql.push_str(&format!(" AND e.words @@ {}::text::tsquery", p.push(tsq)));
        indexed = true;
    }
    TextFilter {
        sql,
        indexed,
        substrings: Substrings::of(&terms, catalog),
    }
}

/// Aggregate reads of a set of time ranges, as arrays for `UNNEST`: per range its tag (a
/// timeline bucket, or 0), the aggregate segments and the raw ranges.
#[derive(Default)]
struct PlanArrays {
    tag: Vec<i32>,
    level: Vec<i16>,
    from: Vec<i64>,
    to: Vec<i64>,
    raw_tag: Vec<i32>,
    raw_from: Vec<i64>,
    raw_to: Vec<i64>,
}

impl PlanArrays {
    fn add(&mut self, tag: i32, from: i64, to: i64) {
        let (segments, raw) = agg::plan(from, to, 0);
        for s in segments {
            self.tag.push(tag);
            self.level.push(i16::try_from(s.level).unwrap_or(0));
            self.from.push(s.from);
            self.to.push(s.to);
        }
        for (a, b) in raw {
            self.raw_tag.push(tag);
            self.raw_from.push(a);
            self.raw_to.push(b);
        }
    }
}

/// (tag, host or 0, series) → events.
type Tally = HashMap<(i32, i64, i64), u64>;

impl PgStore {
    pub(crate) async fn open(s: &StoreSettings) -> Result<PgStore, StoreError> {
        if !is_table_name(&s.table) {
            return Err(StoreError::Open(format!(
                "invalid table name {:?}",
                s.table
            )));
        }
        let mut config: tokio_postgres::Config = s
            .dsn
            .expose()
            .parse()
            .map_err(|e| StoreError::Open(format!("invalid dsn: {e}")))?;
        // The store's statements are short, many-range index reads: compiling them (JIT,
        // which their row estimates would trigger) costs more than running them.
        let options = match config.get_options() {
            Some(o) if !o.trim().is_empty() => format!("{o} -c jit=off"),
            _ => "-c jit=off".to_owned(),
        };
        config
            .application_name("falconer-webui")
            .connect_timeout(CONNECT_TIMEOUT)
            .options(&options);
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(s.maxconnections.max(1))
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(CONNECT_TIMEOUT))
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Open(e.to_string()))?;
        let store = PgStore {
            pool,
            table: s.table.clone(),
            analyzed_at: std::sync::atomic::AtomicI64::new(-1),
            catalog: RwLock::new(Arc::new(Catalog::default())),
            silence_signal: SilenceSignal::default(),
            dicts: RwLock::new(Dictionaries::default()),
            encoder: std::sync::Mutex::new(Encoder::new(None)),
        };
        store.migrate().await?;
        let client = store.pool.get().await.map_err(pool_error)?;
        store.load_dictionaries(&client).await?;
        drop(client);
        Ok(store)
    }

    /// Events of `filter` (over `t e`, parameters `p`) per bucket of `width` µs from `start`
    /// (the last one, when given, also taking what is later) and series.
    async fn timeline_tally(
        &self,
        client: &tokio_postgres::Client,
        filter: &str,
        mut p: Params,
        start: i64,
        width: i64,
        last: Option<i64>,
    ) -> Result<Tally, StoreError> {
        let bucket = if let Some(last) = last {
            format!(
                "LEAST(floor((e.ts - {})::float8 / {})::int8, {})",
                p.push(start),
                p.push(width as f64),
                p.push(last)
            )
        } else {
            format!(
                "floor((e.ts - {})::float8 / {})::int8",
                p.push(start),
                p.push(width as f64)
            )
        };
        let rows = client
                .query(
                    &format!(
                        "SELECT {bucket}, e.series, COUNT(*)::int8 FROM {} e WHERE {filter} GROUP BY 1, 2",
                        self.table
                    ),
                    &p.refs(),
                )
                .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let b = i32::try_from(r.get::<_, i64>(0)).ok()?;
                Some(((b, 0, i64::from(r.get::<_, i32>(1))), u(r.get::<_, i64>(2))))
            })
            .collect())
    }

    fn idx(&self) -> String {
        self.table.replace('.', "_")
    }

    fn snapshot(&self) -> Result<Arc<Catalog>, StoreError> {
        Ok(self
            .catalog
            .read()
            .map_err(|_| StoreError::Task("catalog poisoned".into()))?
            .clone())
    }

    fn publish(&self, add: impl FnOnce(&mut Catalog)) -> Result<Arc<Catalog>, StoreError> {
        let mut guard = self
            .catalog
            .write()
            .map_err(|_| StoreError::Task("catalog poisoned".into()))?;
        let mut next = Catalog::clone(&guard);
        add(&mut next);
        let next = Arc::new(next);
        *guard = next.clone();
        Ok(next)
    }

    /// Loads catalog rows by number (another replica may have added them).
    async fn load_ids(
        &self,
        client: &tokio_postgres::Client,
        dims: &[i64],
        series: &[i64],
    ) -> Result<Arc<Catalog>, StoreError> {
        let t = &self.table;
        let dims: Vec<i32> = dims.iter().filter_map(|d| i32::try_from(*d).ok()).collect();
        let series: Vec<i32> = series
            .iter()
            .filter_map(|s| i32::try_from(*s).ok())
            .collect();
        let d = client
            .query(
                &format!("SELECT id, kind, value FROM {t}_dims WHERE id = ANY($1)"),
                &[&dims],
            )
            .await?;
        let s = client
            .query(
                &format!(
                    "SELECT id, priority, rule, source, tags FROM {t}_series WHERE id = ANY($1)"
                ),
                &[&series],
            )
            .await?;
        // A series names dimensions too.
        let more: Vec<i32> = s
            .iter()
            .flat_map(|r| [r.get::<_, i32>(2), r.get(3), r.get(4)])
            .collect();
        let d2 = client
            .query(
                &format!("SELECT id, kind, value FROM {t}_dims WHERE id = ANY($1)"),
                &[&more],
            )
            .await?;
        self.publish_rows(d.iter().chain(d2.iter()), &s)
    }

    /// Loads every catalog row (the catalog is small); used when a filter names a value
    /// not seen yet.
    async fn load_all(&self, client: &tokio_postgres::Client) -> Result<Arc<Catalog>, StoreError> {
        let t = &self.table;
        let d = client
            .query(&format!("SELECT id, kind, value FROM {t}_dims"), &[])
            .await?;
        let s = client
            .query(
                &format!("SELECT id, priority, rule, source, tags FROM {t}_series"),
                &[],
            )
            .await?;
        self.publish_rows(d.iter(), &s)
    }

    /// Adds catalog rows to the catalog and publishes it: `dims` (`id, kind, value`) and
    /// `series` (`id, priority, rule, source, tags`).
    fn publish_rows<'a>(
        &self,
        dims: impl Iterator<Item = &'a tokio_postgres::Row>,
        series: &[tokio_postgres::Row],
    ) -> Result<Arc<Catalog>, StoreError> {
        self.publish(|c| {
            for r in dims {
                if let Some(kind) = DimKind::from_i64(i64::from(r.get::<_, i16>(1))) {
                    c.add_dim(i64::from(r.get::<_, i32>(0)), kind, r.get(2));
                }
            }
            for r in series {
                c.add_series(
                    i64::from(r.get::<_, i32>(0)),
                    SeriesKey {
                        priority: r.get(1),
                        rule: i64::from(r.get::<_, i32>(2)),
                        source: i64::from(r.get::<_, i32>(3)),
                        tags: i64::from(r.get::<_, i32>(4)),
                    },
                );
            }
        })
    }

    /// The (series, host) numbers of rows, adding what the catalog lacks (committed at
    /// once: an unused catalog row is harmless, and no lock is held across the insert).
    async fn numbers(
        &self,
        client: &tokio_postgres::Client,
        rows: &[Row<'_>],
    ) -> Result<Vec<(i32, i32)>, StoreError> {
        let t = &self.table;
        let mut catalog = self.snapshot()?;
        let wanted = |r: &Row<'_>| {
            [
                (DimKind::Rule, r.rule.to_owned()),
                (DimKind::Source, r.source.to_owned()),
                (DimKind::Host, r.hostname.to_owned()),
                (DimKind::Tags, tagset_key(r.tags)),
            ]
        };
        let missing: Vec<(DimKind, String)> = {
            let mut m: Vec<(DimKind, String)> = rows
                .iter()
                .flat_map(wanted)
                .filter(|(k, v)| catalog.dim(*k, v).is_none())
                .collect();
            m.sort();
            m.dedup();
            m
        };
        if !missing.is_empty() {
            let kinds: Vec<i16> = missing.iter().map(|(k, _)| *k as i16).collect();
            let values: Vec<String> = missing.iter().map(|(_, v)| v.clone()).collect();
            let got = client
                .query(
                    &format!(
                        "WITH x AS (SELECT * FROM UNNEST($1::int2[], $2::text[]) AS x(kind, value)),
                         ins AS (INSERT INTO {t}_dims (kind, value) SELECT kind, value FROM x
                                 ON CONFLICT (kind, value) DO NOTHING RETURNING id, kind, value)
                         SELECT id, kind, value FROM ins
                         UNION ALL
                         SELECT d.id, d.kind, d.value FROM {t}_dims d JOIN x USING (kind, value)"
                    ),
                    &[&kinds, &values],
                )
                .await?;
            catalog = self.publish(|c| {
                for r in &got {
                    if let Some(kind) = DimKind::from_i64(i64::from(r.get::<_, i16>(1))) {
                        c.add_dim(i64::from(r.get::<_, i32>(0)), kind, r.get(2));
                    }
                }
            })?;
        }
        let key_of = |c: &Catalog, r: &Row<'_>| -> Option<(SeriesKey, i64)> {
            Some((
                SeriesKey {
                    priority: r.priority.to_owned(),
                    rule: c.dim(DimKind::Rule, r.rule)?,
                    source: c.dim(DimKind::Source, r.source)?,
                    tags: c.dim(DimKind::Tags, &tagset_key(r.tags))?,
                },
                c.dim(DimKind::Host, r.hostname)?,
            ))
        };
        let mut missing_series: Vec<SeriesKey> = rows
            .iter()
            .filter_map(|r| key_of(&catalog, r))
            .map(|(k, _)| k)
            .filter(|k| catalog.series_id(k).is_none())
            .collect();
        missing_series.sort_by(|a, b| {
            (&a.priority, a.rule, a.source, a.tags).cmp(&(&b.priority, b.rule, b.source, b.tags))
        });
        missing_series.dedup();
        if !missing_series.is_empty() {
            let p: Vec<String> = missing_series.iter().map(|k| k.priority.clone()).collect();
            let r: Vec<i32> = missing_series.iter().map(|k| k.rule as i32).collect();
            let s: Vec<i32> = missing_series.iter().map(|k| k.source as i32).collect();
            let g: Vec<i32> = missing_series.iter().map(|k| k.tags as i32).collect();
            let got = client
                .query(
                    &format!(
                        "WITH x AS (SELECT * FROM UNNEST($1::text[], $2::int4[], $3::int4[], $4::int4[])
                                    AS x(priority, rule, source, tags)),
                         ins AS (INSERT INTO {t}_series (priority, rule, source, tags)
                                 SELECT priority, rule, source, tags FROM x
                                 ON CONFLICT (priority, rule, source, tags) DO NOTHING
                                 RETURNING id, priority, rule, source, tags)
                         SELECT id, priority, rule, source, tags FROM ins
                         UNION ALL
                         SELECT s.id, s.priority, s.rule, s.source, s.tags FROM {t}_series s
                         JOIN x USING (priority, rule, source, tags)"
                    ),
                    &[&p, &r, &s, &g],
                )
                .await?;
            catalog = self.publish(|c| {
                for r in &got {
                    c.add_series(
                        i64::from(r.get::<_, i32>(0)),
                        SeriesKey {
                            priority: r.get(1),
                            rule: i64::from(r.get::<_, i32>(2)),
                            source: i64::from(r.get::<_, i32>(3)),
                            tags: i64::from(r.get::<_, i32>(4)),
                        },
                    );
                }
            })?;
        }
        rows.iter()
            .map(|r| {
                let (key, host) = key_of(&catalog, r)
                    .ok_or_else(|| StoreError::Open("catalog: a value was not numbered".into()))?;
                let series = catalog
                    .series_id(&key)
                    .ok_or_else(|| StoreError::Open("catalog: a series was not numbered".into()))?;
                Ok((series as i32, host as i32))
            })
            .collect()
    }

    /// The selection of `q`, with what other replicas have added to the catalog: when a
    /// filter names a value this handle does not know, the catalog is reloaded once before
    /// selecting; when the names are all known but the query depends on the catalog (a
    /// priority filter, free text), the database's catalog sizes are compared with this
    /// handle's (one cheap query; catalog rows are never deleted) and it is reloaded when
    /// another replica has added a series or name — a known rule at a new priority, say.
    async fn select(
        &self,
        client: &tokio_postgres::Client,
        q: &Query,
    ) -> Result<(Arc<Catalog>, Selection), StoreError> {
        let mut catalog = self.snapshot()?;
        if Catalog::depends_on(q) {
            let stale = if catalog.names_all(q) {
                let t = &self.table;
                let row = client
                    .query_one(
                        &format!(
                            "SELECT (SELECT COUNT(*) FROM {t}_dims), (SELECT COUNT(*) FROM {t}_series)"
                        ),
                        &[],
                    )
                    .await?;
                let db = (u(row.get::<_, i64>(0)), u(row.get::<_, i64>(1)));
                let (dims, series) = catalog.sizes();
                db != (dims as u64, series as u64)
            } else {
                true
            };
            if stale {
                tracing::debug!(table = %self.table, "webui store: catalog reloaded (rows added by another replica)");
                catalog = self.load_all(client).await?;
            }
        }
        let sel = catalog.select(q);
        Ok((catalog, sel))
    }

    /// Applies count changes (inserts: +, deletes: -) in `tx`, in key order (no deadlock
    /// between replicas); rows at zero go.
    async fn apply_deltas(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        deltas: &Deltas,
    ) -> Result<(), StoreError> {
        let t = &self.table;
        let series: BTreeMap<_, _> = deltas.series.iter().filter(|(_, n)| **n != 0).collect();
        let hosts: BTreeMap<_, _> = deltas.hosts.iter().filter(|(_, n)| **n != 0).collect();
        let level: Vec<i16> = series.keys().map(|k| k.0 as i16).collect();
        let bucket: Vec<i64> = series.keys().map(|k| k.1).collect();
        let ser: Vec<i32> = series.keys().map(|k| k.2 as i32).collect();
        let n: Vec<i64> = series.values().map(|n| **n).collect();
        tx.execute(
            &format!(
                "INSERT INTO {t}_agg (level, bucket, series, n)
                 SELECT * FROM UNNEST($1::int2[], $2::int8[], $3::int4[], $4::int8[])
                 ON CONFLICT (level, bucket, series) DO UPDATE SET n = {t}_agg.n + EXCLUDED.n"
            ),
            &[&level, &bucket, &ser, &n],
        )
        .await?;
        let level: Vec<i16> = hosts.keys().map(|k| k.0 as i16).collect();
        let bucket: Vec<i64> = hosts.keys().map(|k| k.1).collect();
        let host: Vec<i32> = hosts.keys().map(|k| k.2 as i32).collect();
        let ser: Vec<i32> = hosts.keys().map(|k| k.3 as i32).collect();
        let n: Vec<i64> = hosts.values().map(|n| **n).collect();
        tx.execute(
            &format!(
                "INSERT INTO {t}_agg_host (level, bucket, host, series, n)
                 SELECT * FROM UNNEST($1::int2[], $2::int8[], $3::int4[], $4::int4[], $5::int8[])
                 ON CONFLICT (level, bucket, host, series) DO UPDATE SET n = {t}_agg_host.n + EXCLUDED.n"
            ),
            &[&level, &bucket, &host, &ser, &n],
        )
        .await?;
        if series.values().any(|n| **n < 0) {
            tx.batch_execute(&format!(
                "DELETE FROM {t}_agg WHERE n <= 0; DELETE FROM {t}_agg_host WHERE n <= 0;"
            ))
            .await?;
        }
        Ok(())
    }

    /// Events per (tag, host or 0, series) over the tagged ranges, counting what `sel`
    /// admits: whole buckets from the counts, the rest from the events.
    async fn tally(
        &self,
        client: &mut deadpool_postgres::Object,
        ranges: &PlanArrays,
        sel: &Selection,
        by_host: bool,
    ) -> Result<Tally, StoreError> {
        let t = &self.table;
        let per_host = by_host || sel.hosts.is_some();
        let mut out = Tally::new();
        let hosts: Vec<i32> = sel
            .hosts
            .iter()
            .flatten()
            .filter_map(|h| i32::try_from(*h).ok())
            .collect();
        let host_filter = if sel.hosts.is_some() {
            " AND a.host = ANY($5)"
        } else {
            ""
        };
        // One index range read per range (LATERAL): a join on the ranges would scan.
        let (table, host_col, group) = if per_host {
            (format!("{t}_agg_host"), "a.host", "a.host, a.series")
        } else {
            (format!("{t}_agg"), "0", "a.series")
        };
        let agg_sql = format!(
            "SELECT s.tag, x.host, x.series, x.n
             FROM UNNEST($1::int4[], $2::int2[], $3::int8[], $4::int8[]) AS s(tag, level, f, t)
             CROSS JOIN LATERAL (
                 SELECT {host_col} AS host, a.series, SUM(a.n)::int8 AS n FROM {table} a
                 WHERE a.level = s.level AND a.bucket >= s.f AND a.bucket < s.t{host_filter}
                 GROUP BY {group}) x"
        );
        let raw_host_col = if per_host { "a.host" } else { "0" };
        let raw_sql = format!(
            "SELECT r.tag, x.host, x.series, x.n
             FROM UNNEST($1::int4[], $2::int8[], $3::int8[]) AS r(tag, f, t)
             CROSS JOIN LATERAL (
                 SELECT {raw_host_col} AS host, a.series, COUNT(*)::int8 AS n FROM {t} a
                 WHERE a.ts >= r.f AND a.ts < r.t{}
                 GROUP BY {group}) x",
            host_filter.replace("$5", "$4")
        );
        let mut add = |rows: Vec<tokio_postgres::Row>| {
            for r in rows {
                let (tag, host, series, n): (i32, i32, i32, i64) =
                    (r.get(0), r.get(1), r.get(2), r.get(3));
                let (host, series) = (i64::from(host), i64::from(series));
                if n > 0 && sel.admits(series, host) {
                    *out.entry((tag, if by_host { host } else { 0 }, series))
                        .or_default() += u(n);
                }
            }
        };
        if !ranges.tag.is_empty() {
            let mut p: Vec<&(dyn ToSql + Sync)> =
                vec![&ranges.tag, &ranges.level, &ranges.from, &ranges.to];
            if sel.hosts.is_some() {
                p.push(&hosts);
            }
            add(self.hashed(client, per_host, &agg_sql, &p).await?);
        }
        if !ranges.raw_tag.is_empty() {
            let mut p: Vec<&(dyn ToSql + Sync)> =
                vec![&ranges.raw_tag, &ranges.raw_from, &ranges.raw_to];
            if sel.hosts.is_some() {
                p.push(&hosts);
            }
            add(self.hashed(client, per_host, &raw_sql, &p).await?);
        }
        Ok(out)
    }

    /// Makes sure the catalog knows the numbers of a tally.
    async fn know(
        &self,
        client: &tokio_postgres::Client,
        catalog: Arc<Catalog>,
        tally: &Tally,
        by_host: bool,
    ) -> Result<Arc<Catalog>, StoreError> {
        let series: Vec<i64> = tally.keys().map(|k| k.2).collect();
        let hosts: Vec<i64> = if by_host {
            tally.keys().map(|k| k.1).collect()
        } else {
            Vec::new()
        };
        if catalog.knows(&series, &hosts) {
            return Ok(catalog);
        }
        self.load_ids(client, &hosts, &series).await
    }

    /// The newest `WALK` events of `base` (conditions over `t e`), newest first, as `e`.
    fn walk(&self, base: &str, p: &mut Params) -> String {
        format!(
            "(SELECT e.* FROM {} e WHERE {base} ORDER BY e.ts DESC, e.id DESC LIMIT {}) e",
            self.table,
            p.push(WALK)
        )
    }

    /// Events in `[from, to)` that `sel` admits, and those of them at or after `since`,
    /// from the counts.
    async fn window(
        &self,
        client: &mut deadpool_postgres::Object,
        sel: &Selection,
        (from, to): (i64, i64),
        since: i64,
    ) -> Result<(u64, u64), StoreError> {
        let mut ranges = PlanArrays::default();
        ranges.add(0, from, to);
        ranges.add(1, since.max(from), to);
        let tally = self.tally(client, &ranges, sel, false).await?;
        let of = |tag: i32| -> u64 {
            tally
                .iter()
                .filter(|((t, _, _), _)| *t == tag)
                .map(|(_, n)| *n)
                .sum()
        };
        Ok((of(0), of(1)))
    }

    /// The events matching `q` (with free-text terms): exact up to [`EXACT_MATCHES`], past
    /// that estimated from the counts of its filter.
    ///
    /// The planner cannot tell a word in half the events from one in a thousandth (its
    /// statistics of a `tsvector` are coarse), and picked the wrong plan for both: a common
    /// word read every match from the word index and sorted them, a rare one walked the
    /// whole table. So the plan is chosen here. The newest [`WALK`] events of the range are
    /// tested one by one: when that is the whole range, their count is exact; when at least
    /// [`MIN_SAMPLE`] of them match and their share of the range comes to the cap or more,
    /// that share is the estimate. Only a word rare among the newest events is read from
    /// the word index, where its matches are few enough to be cheap: counted newest first up
    /// to the cap, then scaled as before.
    async fn matches_capped(
        &self,
        client: &mut deadpool_postgres::Object,
        q: &Query,
    ) -> Result<Matches, StoreError> {
        let (catalog, sel) = self.select(client, q).await?;
        if sel.is_empty() {
            return Ok(Matches::default());
        }
        let range = agg::range_of(q.from_us, q.to_us);
        let mut p = Params::default();
        let base = dims_filter(&sel, range.0, range.1, &mut p);
        let walk = self.walk(&base, &mut p);
        let text = text_filter(q, &catalog, &mut p);
        let (walked, found) = if text.substrings.is_empty() {
            let sql = format!(
                "SELECT COUNT(*)::int8, COUNT(*) FILTER (WHERE w.hit)::int8
                 FROM (SELECT (TRUE{}) AS hit FROM {walk}) w",
                text.sql
            );
            let row = client.query_one(&sql, &p.refs()).await?;
            (u(row.get::<_, i64>(0)), u(row.get::<_, i64>(1)))
        } else {
            // The bodies of the events the words admit and whose names do not hold every
            // substring term.
            let named = text.substrings.named_sql(&mut p);
            let sql = format!(
                "SELECT w.series, w.host, CASE WHEN w.read THEN w.body END,
                        CASE WHEN w.read THEN w.zbody END, w.hit
                 FROM (SELECT e.series, e.host, e.body, e.zbody, h.hit, h.hit AND NOT {named} AS read
                       FROM {walk}, LATERAL (SELECT (TRUE{}) AS hit) h) w",
                text.sql
            );
            let (mut walked, mut found) = (0, 0);
            self.scan(
                client,
                (&sql, &p.refs()),
                &text.substrings,
                false,
                |r, admitted, _| {
                    walked += 1;
                    if admitted && r.get::<_, bool>(4) {
                        found += 1;
                    }
                    true
                },
            )
            .await?;
            (walked, found)
        };
        if walked < u(WALK) {
            return Ok(Matches::exact(found, true));
        }
        if found >= MIN_SAMPLE {
            let (all, _) = self.window(client, &sel, range, range.1).await?;
            let n = estimate_matches(found, walked, all);
            if n >= EXACT_MATCHES {
                return Ok(Matches::estimated(n, false));
            }
        }
        let mut p = Params::default();
        let w = event_filter(q, &sel, &catalog, range.0, range.1, &mut p);
        let (found, oldest) = if w.substrings.is_empty() {
            let sql = format!(
                "SELECT COUNT(*)::int8, MIN(ts) FROM (SELECT e.ts FROM {} e WHERE {}
                 ORDER BY e.ts DESC, e.id DESC LIMIT {}) newest",
                self.table,
                w.sql,
                p.push(i64::try_from(EXACT_MATCHES).unwrap_or(i64::MAX))
            );
            let rows = self.by_words(client, w.indexed, &sql, &p.refs()).await?;
            rows.first().map_or((0, None), |r| {
                (u(r.get::<_, i64>(0)), r.get::<_, Option<i64>>(1))
            })
        } else {
            let (mut found, mut oldest) = (0, None);
            self.scan_newest(
                client,
                w.indexed,
                |p, after| {
                    let w = event_filter(q, &sel, &catalog, range.0, range.1, p);
                    let bodies = w.substrings.bodies_sql(p);
                    newest_sql(&format!("{} e", self.table), &w.sql, &bodies, after, p)
                },
                &w.substrings,
                false,
                |r, admitted, _| {
                    if admitted {
                        found += 1;
                        oldest = Some(r.get::<_, i64>(4));
                    }
                    found < EXACT_MATCHES
                },
            )
            .await?;
            (found, oldest)
        };
        match oldest {
            Some(oldest) if found >= EXACT_MATCHES => {
                let (all, newer) = self.window(client, &sel, range, oldest).await?;
                Ok(Matches::estimated(
                    estimate_matches(found, newer, all),
                    false,
                ))
            }
            _ => Ok(Matches::exact(found, false)),
        }
    }

    /// Runs a count's `sql`, when `large` (per host and series) in a transaction that makes
    /// the planner group with a hash table. It cannot know how many rows a range of counts
    /// holds (it guesses 40), so it sorted each range's rows to group them: 40 ms instead of
    /// 24 for the 45,000 per-day counts of a week × host × series. Counts per series are
    /// few; they skip the transaction's round trips.
    async fn hashed(
        &self,
        client: &mut deadpool_postgres::Object,
        large: bool,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        let settings = large.then_some("SET LOCAL enable_sort = off");
        planned_with(client, settings, sql, params).await
    }

    /// Runs `sql` in a transaction that makes the planner read the word index (a bitmap of
    /// the matches) instead of walking the time index, when `indexed` (a term is looked up
    /// in it); as planned otherwise.
    async fn by_words(
        &self,
        client: &mut deadpool_postgres::Object,
        indexed: bool,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        let settings = indexed.then_some(
            "SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off;
             SET LOCAL enable_seqscan = off",
        );
        planned_with(client, settings, sql, params).await
    }

    /// The counts of `q` (one range, tag 0) per (host or 0, series): from the counts
    /// without free-text terms, else from the matching events.
    async fn counts(
        &self,
        client: &mut deadpool_postgres::Object,
        q: &Query,
        by_host: bool,
    ) -> Result<(Arc<Catalog>, Tally), StoreError> {
        let (catalog, sel) = self.select(client, q).await?;
        if sel.is_empty() {
            return Ok((catalog, Tally::new()));
        }
        let (from, to) = agg::range_of(q.from_us, q.to_us);
        let tally = if q.terms.is_empty() {
            let mut ranges = PlanArrays::default();
            ranges.add(0, from, to);
            self.tally(client, &ranges, &sel, by_host).await?
        } else {
            let mut p = Params::default();
            let w = event_filter(q, &sel, &catalog, from, to, &mut p);
            if w.substrings.is_empty() {
                let host = if by_host { "e.host" } else { "0" };
                let rows = client
                    .query(
                        &format!(
                            "SELECT {host}, e.series, COUNT(*)::int8 FROM {} e WHERE {} GROUP BY 1, 2",
                            self.table, w.sql
                        ),
                        &p.refs(),
                    )
                    .await?;
                rows.iter()
                    .map(|r| {
                        (
                            (
                                0,
                                i64::from(r.get::<_, i32>(0)),
                                i64::from(r.get::<_, i32>(1)),
                            ),
                            u(r.get::<_, i64>(2)),
                        )
                    })
                    .collect()
            } else {
                self.tally_scanned(client, &w, p, |series, host, _| {
                    Some((0, if by_host { host } else { 0 }, series))
                })
                .await?
            }
        };
        let catalog = self.know(client, catalog, &tally, by_host).await?;
        Ok((catalog, tally))
    }
}

const SILENCE_COLUMNS: &str = "id, match_expr, starts_at, ends_at, created_by, comment, created_at";

fn silence_of(r: &tokio_postgres::Row) -> SilenceRecord {
    SilenceRecord {
        id: r.get(0),
        condition: r.get(1),
        starts_at_us: r.get(2),
        ends_at_us: r.get(3),
        created_by: r.get(4),
        comment: r.get(5),
        created_at_us: r.get(6),
    }
}

/// Runs `sql`, after `settings` (`SET LOCAL` planner settings) in a transaction of its own
/// when there are some.
async fn planned_with(
    client: &mut deadpool_postgres::Object,
    settings: Option<&str>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<tokio_postgres::Row>, StoreError> {
    let Some(settings) = settings else {
        return Ok(client.query(sql, params).await?);
    };
    let tx = client.transaction().await?;
    tx.batch_execute(settings).await?;
    let rows = tx.query(sql, params).await?;
    tx.commit().await?;
    Ok(rows)
}

/// A page cursor: the (time, id) of the last event of the previous page.
fn parse_cursor(c: &str) -> Option<(i64, i64)> {
    let (ts, id) = c.split_once('.')?;
    Some((ts.parse().ok()?, id.parse().ok()?))
}

#[async_trait]
impl EventStore for PgStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Postgres
    }

    async fn insert(&self, alerts: &[Arc<Alert>]) -> Result<u64, StoreError> {
        if alerts.is_empty() {
            return Ok(0);
        }
        let rows: Vec<Row<'_>> = alerts.iter().map(|a| Row::from_alert(a)).collect();
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let numbers = self.numbers(&client, &rows).await?;
        let uuids: Vec<String> = rows.iter().map(|r| r.uuid.to_string()).collect();
        let ts: Vec<i64> = rows.iter().map(|r| r.ts_us).collect();
        let series: Vec<i32> = numbers.iter().map(|n| n.0).collect();
        let hosts: Vec<i32> = numbers.iter().map(|n| n.1).collect();
        let words: Vec<String> = rows.iter().map(|r| tsvector_literal(&r.doc)).collect();
        let bodies = self.bodies(&client, &rows).await?;
        let t = &self.table;
        let tx = client.transaction().await?;
        let stmt = tx
            .prepare_cached(&format!(
                "INSERT INTO {t} (uuid, ts, series, host, words, body, zbody)
                 SELECT u, ts, s, h, w::tsvector, b, z
                 FROM UNNEST($1::text[], $2::int8[], $3::int4[], $4::int4[], $5::text[], $6::text[],
                             $7::bytea[])
                      AS x(u, ts, s, h, w, b, z)
                 ON CONFLICT (uuid) DO NOTHING
                 RETURNING ts, series, host"
            ))
            .await?;
        let added = tx
            .query(
                &stmt,
                &[
                    &uuids,
                    &ts,
                    &series,
                    &hosts,
                    &words,
                    &bodies.text,
                    &bodies.compressed,
                ],
            )
            .await?;
        let mut deltas = Deltas::default();
        for r in &added {
            deltas.add(
                r.get(0),
                i64::from(r.get::<_, i32>(1)),
                i64::from(r.get::<_, i32>(2)),
                1,
            );
        }
        if !added.is_empty() {
            self.apply_deltas(&tx, &deltas).await?;
        }
        tx.commit().await?;
        Ok(added.len() as u64)
    }

    async fn search(&self, q: &Query) -> Result<Page, StoreError> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let matches = if q.terms.is_empty() {
            let (_, tally) = self.counts(&mut client, q, false).await?;
            Matches::exact(tally.values().sum(), false)
        } else {
            self.matches_capped(&mut client, q).await?
        };
        if matches.all == 0 {
            return Ok(Page::default());
        }
        let (catalog, sel) = self.select(&client, q).await?;
        let (from, to) = agg::range_of(q.from_us, q.to_us);
        let cursor = q.cursor.as_deref().and_then(parse_cursor);
        let limit = usize::try_from(q.limit).unwrap_or(usize::MAX);
        let offset = if cursor.is_some() {
            0
        } else {
            usize::try_from(q.offset).unwrap_or(usize::MAX)
        };
        // The page's events: from the newest events of the range (`walk`), else by the plan
        // PostgreSQL picks, with the word index when a term is in it. Substring terms are
        // checked here, reading newest first until the page is full.
        let base = |p: &mut Params| {
            let mut base = dims_filter(&sel, from, to, p);
            if let Some((ts, id)) = cursor {
                base.push_str(&format!(
                    " AND (e.ts, e.id) < ({}, {})",
                    p.push(ts),
                    p.push(id)
                ));
            }
            base
        };
        let subs = text_filter(q, &catalog, &mut Params::default()).substrings;
        let mut events = Vec::new();
        let mut last = None;
        let mut dctx = DCtx::create();
        for walk in [true, false] {
            if walk && q.terms.is_empty() {
                continue;
            }
            if !walk && !q.terms.is_empty() && (events.len() == limit || matches.whole) {
                break;
            }
            events.clear();
            let rows_of = |p: &mut Params| {
                let base = base(p);
                let rows = if walk {
                    self.walk(&base, p)
                } else {
                    format!("{} e", self.table)
                };
                let text = text_filter(q, &catalog, p);
                (rows, format!("{base}{}", text.sql), text.indexed)
            };
            if subs.is_empty() {
                let mut p = Params::default();
                let (rows, filter, indexed) = rows_of(&mut p);
                let sql = format!(
                    "{} LIMIT {} OFFSET {}",
                    newest_sql(&rows, &filter, "e.body, e.zbody", None, &mut p),
                    p.push(i64::try_from(limit).unwrap_or(i64::MAX)),
                    p.push(i64::try_from(offset).unwrap_or(i64::MAX))
                );
                let rows = if walk {
                    client.query(&sql, &p.refs()).await?
                } else {
                    self.by_words(&mut client, indexed, &sql, &p.refs()).await?
                };
                for r in &rows {
                    events.push(self.json(&client, &mut dctx, r.get(2), r.get(3)).await?);
                    last = Some((r.get::<_, i64>(4), r.get::<_, i64>(5)));
                }
                continue;
            }
            let mut skipped = 0;
            let mut take = |r: &tokio_postgres::Row, admitted: bool, json: Option<String>| {
                if !admitted || events.len() >= limit {
                    return events.len() < limit;
                }
                if skipped < offset {
                    skipped += 1;
                    return true;
                }
                events.push(json.unwrap_or_default());
                last = Some((r.get::<_, i64>(4), r.get::<_, i64>(5)));
                events.len() < limit
            };
            if walk {
                // At most `WALK` rows, ordered in the walk's own bounded read.
                let mut p = Params::default();
                let (rows, filter, _) = rows_of(&mut p);
                let sql = newest_sql(&rows, &filter, "e.body, e.zbody", None, &mut p);
                self.scan(&mut client, (&sql, &p.refs()), &subs, true, &mut take)
                    .await?;
            } else {
                let indexed = rows_of(&mut Params::default()).2;
                let page = |p: &mut Params, after| {
                    let (rows, filter, _) = rows_of(p);
                    newest_sql(&rows, &filter, "e.body, e.zbody", after, p)
                };
                self.scan_newest(&mut client, indexed, page, &subs, true, &mut take)
                    .await?;
            }
        }
        let next = (events.len() == limit)
            .then(|| last.map(|(ts, id)| format!("{ts}.{id}")))
            .flatten();
        Ok(Page {
            events,
            all: matches.all,
            estimated: matches.estimated,
            next,
        })
    }

    async fn count(&self, q: &Query) -> Result<u64, StoreError> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let (_, tally) = self.counts(&mut client, q, false).await?;
        Ok(tally.values().sum())
    }

    async fn count_by_each(
        &self,
        q: &Query,
        bys: &[GroupBy],
    ) -> Result<Vec<Vec<(String, u64)>>, StoreError> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        // One read: per (host, series) when a grouping is by host, else per series.
        let by_host = bys.contains(&GroupBy::Hostname);
        let (catalog, tally) = self.counts(&mut client, q, by_host).await?;
        let mut per_series: HashMap<i64, u64> = HashMap::new();
        let mut per_host: HashMap<i64, u64> = HashMap::new();
        for ((_, host, series), n) in tally {
            *per_series.entry(series).or_default() += n;
            if by_host {
                *per_host.entry(host).or_default() += n;
            }
        }
        Ok(bys
            .iter()
            .map(|by| {
                if *by == GroupBy::Hostname {
                    catalog.group_hosts(&per_host)
                } else {
                    catalog.group(&per_series, *by)
                }
            })
            .collect())
    }

    async fn timeline_each(
        &self,
        q: &Query,
        bys: &[TimelineBy],
        start_us: i64,
        width_us: i64,
        buckets: u32,
    ) -> Result<Vec<Vec<TimelineCell>>, StoreError> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let (catalog, sel) = self.select(&client, q).await?;
        if sel.is_empty() {
            return Ok(vec![Vec::new(); bys.len()]);
        }
        let width = width_us.max(1);
        let (qf, qt) = agg::range_of(q.from_us, q.to_us);
        // Without an end, the last bucket also takes what is newer than the grid.
        let open_end = q.to_us.is_none();
        let tally: Tally = if q.terms.is_empty() {
            let mut ranges = PlanArrays::default();
            for b in 0..buckets {
                let a = start_us.saturating_add(width.saturating_mul(i64::from(b)));
                let z = if open_end && b + 1 == buckets {
                    agg::FAR_FUTURE_US
                } else {
                    a.saturating_add(width)
                };
                let (a, z) = (a.max(qf), z.min(qt));
                if a < z {
                    ranges.add(i32::try_from(b).unwrap_or(i32::MAX), a, z);
                }
            }
            self.tally(&mut client, &ranges, &sel, false).await?
        } else {
            let end = start_us.saturating_add(width.saturating_mul(i64::from(buckets)));
            let (from, to) = (qf.max(start_us), if open_end { qt } else { qt.min(end) });
            let mut p = Params::default();
            let w = event_filter(q, &sel, &catalog, from, to, &mut p);
            let last = i64::from(buckets) - 1;
            if w.substrings.is_empty() {
                self.timeline_tally(
                    &client,
                    &w.sql,
                    p,
                    start_us,
                    width,
                    open_end.then_some(last),
                )
                .await?
            } else {
                self.tally_scanned(&mut client, &w, p, |series, _, ts| {
                    let b = ts.saturating_sub(start_us).div_euclid(width);
                    let b = if open_end { b.min(last) } else { b };
                    Some((i32::try_from(b).ok()?, 0, series))
                })
                .await?
            }
        };
        let catalog = self.know(&client, catalog, &tally, false).await?;
        Ok(bys
            .iter()
            .map(|by| {
                let mut cells: HashMap<(u32, String), u64> = HashMap::new();
                for ((b, _, series), n) in &tally {
                    let Ok(b) = u32::try_from(*b) else { continue };
                    if b >= buckets {
                        continue;
                    }
                    if let Some(label) = catalog.label(*series, *by) {
                        *cells.entry((b, label)).or_default() += n;
                    }
                }
                cells.into_iter().map(|((b, p), n)| (b, p, n)).collect()
            })
            .collect())
    }

    async fn get(&self, uuid: &str) -> Result<Option<String>, StoreError> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let row = client
            .query_opt(
                &format!("SELECT body, zbody FROM {} WHERE uuid = $1", self.table),
                &[&uuid],
            )
            .await?;
        match row {
            Some(r) => Ok(Some(
                self.json(&client, &mut DCtx::create(), r.get(0), r.get(1))
                    .await?,
            )),
            None => Ok(None),
        }
    }

    async fn record_drops(&self, counts: &[DropCount]) -> Result<(), StoreError> {
        let counts = merge(counts);
        if counts.is_empty() {
            return Ok(());
        }
        let minutes: Vec<i64> = counts.iter().map(|c| c.minute_us).collect();
        let reasons: Vec<String> = counts.iter().map(|c| c.reason.clone()).collect();
        let ns: Vec<i64> = counts
            .iter()
            .map(|c| i64::try_from(c.count).unwrap_or(i64::MAX))
            .collect();
        let client = self.pool.get().await.map_err(pool_error)?;
        let sql = format!(
            "INSERT INTO {t}_dropped (minute, reason, n)
             SELECT * FROM UNNEST($1::int8[], $2::text[], $3::int8[])
             ON CONFLICT (minute, reason) DO UPDATE SET n = {t}_dropped.n + EXCLUDED.n",
            t = self.table
        );
        let stmt = client.prepare_cached(&sql).await?;
        client.execute(&stmt, &[&minutes, &reasons, &ns]).await?;
        Ok(())
    }

    async fn drops(&self, from_us: Option<i64>, to_us: Option<i64>) -> Result<Drops, StoreError> {
        let (from, to) = minute_bounds(from_us, to_us);
        let client = self.pool.get().await.map_err(pool_error)?;
        let rows = client
            .query(
                &format!(
                    "SELECT reason, SUM(n)::int8 FROM {}_dropped WHERE minute >= $1 AND minute < $2
                     GROUP BY reason",
                    self.table
                ),
                &[&from, &to],
            )
            .await?;
        Ok(Drops::from_rows(
            rows.iter()
                .map(|r| (r.get::<_, String>(0), u(r.get::<_, i64>(1)))),
        ))
    }

    async fn add_silence(
        &self,
        s: &SilenceRecord,
        limit: u64,
        now_us: i64,
    ) -> Result<SilenceAdded, StoreError> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // One statement: the count and the insert see the same snapshot. Two replicas adding
        // at the same instant may both pass the limit by one; the limit is a guard against
        // floods, not an exact quota.
        let n = client
            .execute(
                &format!(
                    "INSERT INTO {t}_silences ({SILENCE_COLUMNS})
                     SELECT $1::text, $2::text, $3::int8, $4::int8, $5::text, $6::text, $7::int8
                     WHERE (SELECT COUNT(*) FROM {t}_silences WHERE ends_at > $8) < $9",
                    t = self.table
                ),
                &[
                    &s.id,
                    &s.condition,
                    &s.starts_at_us,
                    &s.ends_at_us,
                    &s.created_by,
                    &s.comment,
                    &s.created_at_us,
                    &now_us,
                    &limit,
                ],
            )
            .await?;
        if n == 0 {
            return Ok(SilenceAdded::LimitReached);
        }
        self.silence_signal.bump();
        Ok(SilenceAdded::Added)
    }

    async fn silences(
        &self,
        unended_only: bool,
        now_us: i64,
        limit: u64,
    ) -> Result<Vec<SilenceRecord>, StoreError> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let after = if unended_only { now_us } else { i64::MIN };
        let rows = client
            .query(
                &format!(
                    "SELECT {SILENCE_COLUMNS} FROM {}_silences WHERE ends_at > $1
                     ORDER BY created_at DESC, id DESC LIMIT $2",
                    self.table
                ),
                &[&after, &limit],
            )
            .await?;
        Ok(rows.iter().map(silence_of).collect())
    }

    async fn expire_silence(
        &self,
        id: &str,
        now_us: i64,
    ) -> Result<Option<SilenceRecord>, StoreError> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let t = &self.table;
        client
            .execute(
                &format!(
                    "UPDATE {t}_silences SET starts_at = LEAST(starts_at, $2), ends_at = $2
                     WHERE id = $1 AND ends_at > $2"
                ),
                &[&id, &now_us],
            )
            .await?;
        let row = client
            .query_opt(
                &format!("SELECT {SILENCE_COLUMNS} FROM {t}_silences WHERE id = $1"),
                &[&id],
            )
            .await?;
        let row = row.as_ref().map(silence_of);
        if row.is_some() {
            self.silence_signal.bump();
        }
        Ok(row)
    }

    fn silence_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.silence_signal.subscribe()
    }

    async fn retain(&self, r: &Retention, now_us: i64) -> Result<u64, StoreError> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let t = &self.table;
        let keep = if r.maxage.0.is_zero() {
            DEFAULT_KEEP_US
        } else {
            i64::try_from(r.maxage.0.as_micros()).unwrap_or(i64::MAX)
        };
        // Without an age limit, the counts of minutes that still have stored events stay
        // too (their times are the alerts', which may be far older than the clock).
        let drop_cutoff = if r.maxage.0.is_zero() {
            let oldest: Option<i64> = client
                .query_one(&format!("SELECT MIN(ts) FROM {t}"), &[])
                .await?
                .get(0);
            drops_cutoff(now_us, keep, oldest)
        } else {
            now_us.saturating_sub(keep)
        };
        client
            .execute(
                &format!("DELETE FROM {t}_dropped WHERE minute < $1"),
                &[&drop_cutoff],
            )
            .await?;
        let keep_silences = if r.maxage.0.is_zero() {
            DEFAULT_SILENCE_KEEP_US
        } else {
            keep
        };
        client
            .execute(
                &format!("DELETE FROM {t}_silences WHERE ends_at < $1"),
                &[&now_us.saturating_sub(keep_silences)],
            )
            .await?;
        let mut deleted = 0u64;
        if !r.maxage.0.is_zero() {
            let age = i64::try_from(r.maxage.0.as_micros()).unwrap_or(i64::MAX);
            let cutoff = now_us.saturating_sub(age);
            loop {
                let n = self
                    .delete_oldest(&mut client, cutoff, DELETE_CHUNK)
                    .await?;
                deleted += n;
                if n == 0 {
                    break;
                }
            }
        }
        // The planner needs current statistics (a fresh or fast-growing table would else be
        // read by scans until autovacuum gets to it): refresh them when the table has grown
        // or shrunk by half since.
        let total: i64 = client
            .query_one(
                &format!("SELECT COALESCE(SUM(n), 0)::int8 FROM {t}_agg WHERE level = 2"),
                &[],
            )
            .await?
            .get(0);
        let last = self.analyzed_at.load(std::sync::atomic::Ordering::Relaxed);
        if total >= 1_000 && (last < 0 || total > last.saturating_mul(3) / 2 || total < last / 2) {
            client.batch_execute(&format!("ANALYZE {t}")).await?;
            self.analyzed_at
                .store(total, std::sync::atomic::Ordering::Relaxed);
        }
        if r.maxevents > 0 {
            let max = i64::try_from(r.maxevents).unwrap_or(i64::MAX);
            loop {
                let total: i64 = client
                    .query_one(
                        &format!("SELECT COALESCE(SUM(n), 0)::int8 FROM {t}_agg WHERE level = 2"),
                        &[],
                    )
                    .await?
                    .get(0);
                let excess = (total - max).min(DELETE_CHUNK);
                if excess <= 0 {
                    break;
                }
                let n = self.delete_oldest(&mut client, i64::MAX, excess).await?;
                deleted += n;
                if n == 0 {
                    break;
                }
            }
        }
        Ok(deleted)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let client = self.pool.get().await.map_err(pool_error)?;
        client.simple_query("SELECT 1").await?;
        Ok(())
    }
}

impl PgStore {
    /// Deletes at most `limit` of the oldest events before `before`, with their counts, in
    /// one transaction. Returns how many went.
    async fn delete_oldest(
        &self,
        client: &mut deadpool_postgres::Object,
        before: i64,
        limit: i64,
    ) -> Result<u64, StoreError> {
        let t = &self.table;
        let tx = client.transaction().await?;
        let gone = tx
            .query(
                &format!(
                    "DELETE FROM {t} WHERE id IN (
                        SELECT id FROM {t} WHERE ts < $1 ORDER BY ts, id LIMIT $2 FOR UPDATE SKIP LOCKED)
                     RETURNING ts, series, host"
                ),
                &[&before, &limit],
            )
            .await?;
        let mut deltas = Deltas::default();
        for r in &gone {
            deltas.add(
                r.get(0),
                i64::from(r.get::<_, i32>(1)),
                i64::from(r.get::<_, i32>(2)),
                -1,
            );
        }
        if !gone.is_empty() {
            self.apply_deltas(&tx, &deltas).await?;
        }
        tx.commit().await?;
        Ok(gone.len() as u64)
    }
}
