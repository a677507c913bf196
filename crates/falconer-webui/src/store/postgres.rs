//! The shared store: one PostgreSQL table (tags as `text[]` with a GIN index, a trigram
//! index on the search text when `pg_trgm` is available), for several Falconer replicas
//! behind one UI. Batches are one `INSERT … SELECT FROM UNNEST(…) ON CONFLICT DO NOTHING`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use falconer_event::Alert;
use tokio_postgres::types::ToSql;

use super::{EventStore, Page, StoreError, TimelineCell};
use crate::event::Row;
use crate::query::{like_pattern, GroupBy, Query};
use crate::settings::{is_table_name, Retention, StoreKind, StoreSettings};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DELETE_CHUNK: i64 = 10_000;
/// Separator of the tags of one row in the UNNEST insert (ASCII unit separator).
const TAG_SEP: char = '\u{1f}';

/// The PostgreSQL store.
pub(crate) struct PgStore {
    pool: Pool,
    table: String,
}

fn pool_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Pool(e.to_string())
}

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
        config
            .application_name("falconer-webui")
            .connect_timeout(CONNECT_TIMEOUT);
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
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let t = &self.table;
        let idx = t.replace('.', "_");
        client
            .batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {t} (
                    id BIGSERIAL PRIMARY KEY,
                    uuid TEXT NOT NULL UNIQUE,
                    ts BIGINT NOT NULL,
                    priority TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    source TEXT NOT NULL,
                    hostname TEXT NOT NULL,
                    tags TEXT[] NOT NULL,
                    output TEXT NOT NULL,
                    doc TEXT NOT NULL,
                    json TEXT NOT NULL
                );
                CREATE INDEX IF NOT EXISTS {idx}_ts ON {t} (ts);
                CREATE INDEX IF NOT EXISTS {idx}_priority_ts ON {t} (priority, ts);
                CREATE INDEX IF NOT EXISTS {idx}_rule_ts ON {t} (rule, ts);
                CREATE INDEX IF NOT EXISTS {idx}_source_ts ON {t} (source, ts);
                CREATE INDEX IF NOT EXISTS {idx}_hostname_ts ON {t} (hostname, ts);
                CREATE INDEX IF NOT EXISTS {idx}_tags ON {t} USING GIN (tags);"
            ))
            .await?;
        // Substring search gets an index when pg_trgm can be had; it works without.
        let trgm = client
            .batch_execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            .await
            .is_ok();
        if trgm {
            if let Err(e) = client
                .batch_execute(&format!(
                    "CREATE INDEX IF NOT EXISTS {idx}_doc_trgm ON {t} USING GIN (doc gin_trgm_ops)"
                ))
                .await
            {
                tracing::warn!(error = %e, "no trigram index on the webui table; search scans");
            }
        } else {
            tracing::info!("pg_trgm not available: webui full-text search scans the table");
        }
        Ok(())
    }
}

/// A WHERE clause (over `{table} e`) with `$n` placeholders and its parameters.
struct Filter {
    sql: String,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Filter {
    fn push(&mut self, value: Box<dyn ToSql + Sync + Send>) -> String {
        self.params.push(value);
        format!("${}", self.params.len())
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

fn filter(q: &Query) -> Filter {
    let mut f = Filter {
        sql: "TRUE".into(),
        params: Vec::new(),
    };
    if let Some(from) = q.from_us {
        let p = f.push(Box::new(from));
        f.sql.push_str(&format!(" AND e.ts >= {p}"));
    }
    if let Some(to) = q.to_us {
        let p = f.push(Box::new(to));
        f.sql.push_str(&format!(" AND e.ts < {p}"));
    }
    for (column, values) in [
        ("priority", &q.priorities),
        ("rule", &q.rules),
        ("source", &q.sources),
        ("hostname", &q.hostnames),
    ] {
        if !values.is_empty() {
            let p = f.push(Box::new(values.clone()));
            f.sql.push_str(&format!(" AND e.{column} = ANY({p})"));
        }
    }
    if !q.tags.is_empty() {
        let p = f.push(Box::new(q.tags.clone()));
        f.sql.push_str(&format!(" AND e.tags && {p}::text[]"));
    }
    for term in &q.terms {
        let p = f.push(Box::new(like_pattern(term)));
        f.sql.push_str(&format!(" AND e.doc ILIKE {p}"));
    }
    f
}

fn u(n: i64) -> u64 {
    n.unsigned_abs()
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
        let rows: Vec<Row> = alerts.iter().map(|a| Row::from_alert(a)).collect();
        let col = |f: fn(&Row) -> String| rows.iter().map(f).collect::<Vec<String>>();
        let uuids = col(|r| r.uuid.clone());
        let ts: Vec<i64> = rows.iter().map(|r| r.ts_us).collect();
        let priorities = col(|r| r.priority.to_owned());
        let rules = col(|r| r.rule.clone());
        let sources = col(|r| r.source.clone());
        let hosts = col(|r| r.hostname.clone());
        let tags = col(|r| r.tags.join(&TAG_SEP.to_string()));
        let outputs = col(|r| r.output.clone());
        let docs = col(|r| r.doc.clone());
        let jsons = col(|r| r.json.clone());
        let client = self.pool.get().await.map_err(pool_error)?;
        let sql = format!(
            "INSERT INTO {t} (uuid, ts, priority, rule, source, hostname, tags, output, doc, json)
             SELECT u, ts, p, r, s, h, CASE WHEN tg = '' THEN '{{}}'::text[] ELSE string_to_array(tg, chr(31)) END, o, d, j
             FROM UNNEST($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::text[], $10::text[])
                  AS x(u, ts, p, r, s, h, tg, o, d, j)
             ON CONFLICT (uuid) DO NOTHING",
            t = self.table
        );
        let stmt = client.prepare_cached(&sql).await?;
        let n = client
            .execute(
                &stmt,
                &[
                    &uuids,
                    &ts,
                    &priorities,
                    &rules,
                    &sources,
                    &hosts,
                    &tags,
                    &outputs,
                    &docs,
                    &jsons,
                ],
            )
            .await?;
        Ok(n)
    }

    async fn search(&self, q: &Query) -> Result<Page, StoreError> {
        let mut f = filter(q);
        let client = self.pool.get().await.map_err(pool_error)?;
        let t = &self.table;
        let all: i64 = client
            .query_one(
                &format!("SELECT COUNT(*) FROM {t} e WHERE {}", f.sql),
                &f.refs(),
            )
            .await?
            .get(0);
        let limit = f.push(Box::new(i64::try_from(q.limit).unwrap_or(i64::MAX)));
        let offset = f.push(Box::new(i64::try_from(q.offset).unwrap_or(i64::MAX)));
        let rows = client
            .query(
                &format!(
                    "SELECT e.json FROM {t} e WHERE {} ORDER BY e.ts DESC, e.id DESC LIMIT {limit} OFFSET {offset}",
                    f.sql
                ),
                &f.refs(),
            )
            .await?;
        Ok(Page {
            events: rows.iter().map(|r| r.get(0)).collect(),
            all: u(all),
        })
    }

    async fn count(&self, q: &Query) -> Result<u64, StoreError> {
        let f = filter(q);
        let client = self.pool.get().await.map_err(pool_error)?;
        let n: i64 = client
            .query_one(
                &format!("SELECT COUNT(*) FROM {} e WHERE {}", self.table, f.sql),
                &f.refs(),
            )
            .await?
            .get(0);
        Ok(u(n))
    }

    async fn count_by(&self, q: &Query, by: GroupBy) -> Result<Vec<(String, u64)>, StoreError> {
        let f = filter(q);
        let t = &self.table;
        let sql = match by {
            GroupBy::Tags => format!(
                "SELECT tag, COUNT(*) FROM {t} e, unnest(e.tags) AS tag WHERE {} GROUP BY tag ORDER BY 2 DESC, 1",
                f.sql
            ),
            other => format!(
                "SELECT e.{c}, COUNT(*) FROM {t} e WHERE {w} GROUP BY e.{c} ORDER BY 2 DESC, 1",
                c = other.as_str(),
                w = f.sql
            ),
        };
        let client = self.pool.get().await.map_err(pool_error)?;
        let rows = client.query(&sql, &f.refs()).await?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<_, String>(0), u(r.get::<_, i64>(1))))
            .collect())
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
            "SELECT (e.ts - {start_us}) / {width_us} AS b, e.priority, COUNT(*) FROM {} e
             WHERE {} GROUP BY b, e.priority",
            self.table, f.sql
        );
        let client = self.pool.get().await.map_err(pool_error)?;
        let rows = client.query(&sql, &f.refs()).await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let b = u32::try_from(r.get::<_, i64>(0)).ok()?;
                (b < buckets).then(|| (b, r.get::<_, String>(1), u(r.get::<_, i64>(2))))
            })
            .collect())
    }

    async fn get(&self, uuid: &str) -> Result<Option<String>, StoreError> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let row = client
            .query_opt(
                &format!("SELECT json FROM {} WHERE uuid = $1", self.table),
                &[&uuid],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn retain(&self, r: &Retention, now_us: i64) -> Result<u64, StoreError> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let t = &self.table;
        let mut deleted = 0u64;
        if !r.maxage.0.is_zero() {
            let age = i64::try_from(r.maxage.0.as_micros()).unwrap_or(i64::MAX);
            let cutoff = now_us.saturating_sub(age);
            loop {
                let n = client
                    .execute(
                        &format!(
                            "DELETE FROM {t} WHERE id IN (SELECT id FROM {t} WHERE ts < $1 LIMIT $2)"
                        ),
                        &[&cutoff, &DELETE_CHUNK],
                    )
                    .await?;
                deleted += n;
                if n == 0 {
                    break;
                }
            }
        }
        if r.maxevents > 0 {
            let max = i64::try_from(r.maxevents).unwrap_or(i64::MAX);
            loop {
                let total: i64 = client
                    .query_one(&format!("SELECT COUNT(*) FROM {t}"), &[])
                    .await?
                    .get(0);
                let excess = (total - max).min(DELETE_CHUNK);
                if excess <= 0 {
                    break;
                }
                let n = client
                    .execute(
                        &format!(
                            "DELETE FROM {t} WHERE id IN (SELECT id FROM {t} ORDER BY ts ASC, id ASC LIMIT $1)"
                        ),
                        &[&excess],
                    )
                    .await?;
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
