//! The PostgreSQL store's tables: created when missing, and converted in place from the
//! layouts of older Falconers (under an advisory lock, so one replica does it).

use falconer_event::Alert;

use super::{pool_error, tsvector_literal, PgStore, MIGRATE_CHUNK};
use crate::event::Row;
use crate::store::agg::LEVELS;
use crate::store::StoreError;

impl PgStore {
    pub(super) async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let t = self.table.clone();
        let idx = self.idx();
        // One replica at a time creates or converts the tables.
        let lock_key = format!("falconer-webui:{t}");
        client
            .execute("SELECT pg_advisory_lock(hashtext($1))", &[&lock_key])
            .await?;
        let result = async {
            client
                .batch_execute(&format!(
                    "CREATE TABLE IF NOT EXISTS {t}_dims (
                        id SERIAL PRIMARY KEY,
                        kind SMALLINT NOT NULL,
                        value TEXT NOT NULL,
                        UNIQUE (kind, value)
                    );
                    CREATE TABLE IF NOT EXISTS {t}_series (
                        id SERIAL PRIMARY KEY,
                        priority TEXT NOT NULL,
                        rule INTEGER NOT NULL,
                        source INTEGER NOT NULL,
                        tags INTEGER NOT NULL,
                        UNIQUE (priority, rule, source, tags)
                    );
                    CREATE TABLE IF NOT EXISTS {t}_agg (
                        level SMALLINT NOT NULL,
                        bucket BIGINT NOT NULL,
                        series INTEGER NOT NULL,
                        n BIGINT NOT NULL,
                        PRIMARY KEY (level, bucket, series)
                    );
                    CREATE TABLE IF NOT EXISTS {t}_agg_host (
                        level SMALLINT NOT NULL,
                        bucket BIGINT NOT NULL,
                        host INTEGER NOT NULL,
                        series INTEGER NOT NULL,
                        n BIGINT NOT NULL,
                        PRIMARY KEY (level, bucket, host, series)
                    );
                    CREATE TABLE IF NOT EXISTS {t}_dropped (
                        minute BIGINT NOT NULL,
                        reason TEXT NOT NULL,
                        n BIGINT NOT NULL,
                        PRIMARY KEY (minute, reason)
                    );
                    CREATE TABLE IF NOT EXISTS {t}_silences (
                        id TEXT PRIMARY KEY,
                        match_expr TEXT NOT NULL,
                        starts_at BIGINT NOT NULL,
                        ends_at BIGINT NOT NULL,
                        created_by TEXT NOT NULL,
                        comment TEXT NOT NULL,
                        created_at BIGINT NOT NULL
                    );
                    CREATE INDEX IF NOT EXISTS {idx}_silences_ends ON {t}_silences (ends_at);
                    CREATE INDEX IF NOT EXISTS {idx}_silences_created ON {t}_silences (created_at);"
                ))
                .await?;
            let old: bool = client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1)
                     AND attname = 'json' AND NOT attisdropped)",
                    &[&t],
                )
                .await?
                .get(0);
            if old {
                self.migrate_old(&mut client).await?;
            }
            client
                .batch_execute(&format!(
                    "CREATE TABLE IF NOT EXISTS {t} (
                        id BIGSERIAL PRIMARY KEY,
                        uuid TEXT NOT NULL UNIQUE,
                        ts BIGINT NOT NULL,
                        series INTEGER NOT NULL,
                        host INTEGER NOT NULL,
                        words TSVECTOR NOT NULL,
                        body TEXT NOT NULL,
                        zbody BYTEA
                    );
                    CREATE INDEX IF NOT EXISTS {idx}_ts_id ON {t} (ts, id);
                    CREATE INDEX IF NOT EXISTS {idx}_series_ts ON {t} (series, ts);
                    CREATE INDEX IF NOT EXISTS {idx}_host_ts ON {t} (host, ts);
                    CREATE INDEX IF NOT EXISTS {idx}_words ON {t} USING GIN (words);
                    CREATE TABLE IF NOT EXISTS {t}_zdict (
                        id SERIAL PRIMARY KEY,
                        dict BYTEA NOT NULL
                    );"
                ))
                .await?;
            // The storage of `zbody` ('m': in the row, as it is), if the table has it.
            let storage: Option<i8> = client
                .query_opt(
                    "SELECT attstorage FROM pg_attribute WHERE attrelid = to_regclass($1)
                     AND attname = 'zbody' AND NOT attisdropped",
                    &[&t],
                )
                .await?
                .map(|r| r.get(0));
            if storage.is_none() {
                // A table of an older Falconer: its bodies stay text. New ones are compressed
                // here, with an empty `body` (an older replica still running shows such events
                // empty rather than failing on a NULL).
                client
                    .batch_execute(&format!(
                        "ALTER TABLE {t} ADD COLUMN zbody BYTEA;
                         ALTER TABLE {t} RESET (toast_tuple_target);"
                    ))
                    .await?;
            }
            if storage != Some(b'm' as i8) {
                // Compressed already: kept in the row (the server tries to compress only rows
                // over about 2 KB).
                client
                    .batch_execute(&format!("ALTER TABLE {t} ALTER COLUMN zbody SET STORAGE MAIN"))
                    .await?;
            }
            // Compact bodies: the server compresses each JSON in the row (lz4 where built in).
            if let Err(e) = client
                .batch_execute(&format!("ALTER TABLE {t} ALTER COLUMN body SET COMPRESSION lz4"))
                .await
            {
                tracing::debug!(error = %e, "webui store: no lz4; bodies use the default compression");
            }
            Ok::<(), StoreError>(())
        }
        .await;
        let unlocked = client
            .execute("SELECT pg_advisory_unlock(hashtext($1))", &[&lock_key])
            .await;
        result?;
        unlocked?;
        Ok(())
    }

    /// Converts a table of the older layout (one text column per field, `tags text[]`,
    /// `doc`, `json`) in place: catalog numbers, words and body per event (from its JSON,
    /// `MIGRATE_CHUNK` per statement: an interrupted conversion resumes), the counts, then
    /// the old columns and indexes go.
    pub(super) async fn migrate_old(
        &self,
        client: &mut deadpool_postgres::Object,
    ) -> Result<(), StoreError> {
        let t = &self.table;
        let idx = self.idx();
        let total: i64 = client
            .query_one(&format!("SELECT COUNT(*) FROM {t}"), &[])
            .await?
            .get(0);
        tracing::info!(table = %t, events = total, "migrating the webui store to the counted layout");
        client
            .batch_execute(&format!(
                "ALTER TABLE {t} ADD COLUMN IF NOT EXISTS series INTEGER,
                    ADD COLUMN IF NOT EXISTS host INTEGER,
                    ADD COLUMN IF NOT EXISTS words TSVECTOR;
                 CREATE INDEX IF NOT EXISTS {idx}_unconverted ON {t} (id) WHERE series IS NULL;"
            ))
            .await?;
        let mut moved = 0i64;
        loop {
            let rows = client
                .query(
                    &format!(
                        "SELECT id, json FROM {t} WHERE series IS NULL ORDER BY id LIMIT {MIGRATE_CHUNK}"
                    ),
                    &[],
                )
                .await?;
            if rows.is_empty() {
                break;
            }
            let mut ids = Vec::with_capacity(rows.len());
            let mut alerts = Vec::with_capacity(rows.len());
            for r in &rows {
                let id: i64 = r.get(0);
                let json: String = r.get(1);
                match Alert::from_payload(bytes::Bytes::from(json.into_bytes())) {
                    Ok(a) => {
                        ids.push(id);
                        alerts.push(a);
                    }
                    Err(e) => {
                        tracing::warn!(id, error = %e, "webui store migration: an unreadable event removed");
                        client
                            .execute(&format!("DELETE FROM {t} WHERE id = $1"), &[&id])
                            .await?;
                    }
                }
            }
            let rows: Vec<Row<'_>> = alerts.iter().map(Row::from_alert).collect();
            let numbers = self.numbers(client, &rows).await?;
            let series: Vec<i32> = numbers.iter().map(|n| n.0).collect();
            let hosts: Vec<i32> = numbers.iter().map(|n| n.1).collect();
            let words: Vec<String> = rows.iter().map(|r| tsvector_literal(&r.doc)).collect();
            client
                .execute(
                    &format!(
                        "UPDATE {t} AS e SET series = x.s, host = x.h, words = x.w::tsvector
                         FROM UNNEST($1::int8[], $2::int4[], $3::int4[], $4::text[]) AS x(id, s, h, w)
                         WHERE e.id = x.id"
                    ),
                    &[&ids, &series, &hosts, &words],
                )
                .await?;
            moved += i64::try_from(ids.len()).unwrap_or(0);
            tracing::info!(moved, total, "webui store migration");
        }
        // Counts from scratch, the old columns and indexes out, the new shape enforced.
        let tx = client.transaction().await?;
        tx.batch_execute(&format!("DELETE FROM {t}_agg; DELETE FROM {t}_agg_host;"))
            .await?;
        for (level, size) in LEVELS.iter().enumerate() {
            let level = i16::try_from(level).unwrap_or(0);
            tx.execute(
                &format!(
                    "INSERT INTO {t}_agg (level, bucket, series, n)
                     SELECT $1, floor(ts::float8 / $2)::int8, series, COUNT(*) FROM {t} GROUP BY 2, 3"
                ),
                &[&level, &(*size as f64)],
            )
            .await?;
            tx.execute(
                &format!(
                    "INSERT INTO {t}_agg_host (level, bucket, host, series, n)
                     SELECT $1, floor(ts::float8 / $2)::int8, host, series, COUNT(*) FROM {t} GROUP BY 2, 3, 4"
                ),
                &[&level, &(*size as f64)],
            )
            .await?;
        }
        tx.batch_execute(&format!(
            "DROP INDEX IF EXISTS {idx}_unconverted;
             DROP INDEX IF EXISTS {idx}_ts;
             DROP INDEX IF EXISTS {idx}_priority_ts;
             DROP INDEX IF EXISTS {idx}_rule_ts;
             DROP INDEX IF EXISTS {idx}_source_ts;
             DROP INDEX IF EXISTS {idx}_hostname_ts;
             DROP INDEX IF EXISTS {idx}_tags;
             DROP INDEX IF EXISTS {idx}_doc_trgm;
             ALTER TABLE {t} RENAME COLUMN json TO body;
             ALTER TABLE {t} DROP COLUMN priority, DROP COLUMN rule, DROP COLUMN source,
                 DROP COLUMN hostname, DROP COLUMN tags, DROP COLUMN output, DROP COLUMN doc;
             ALTER TABLE {t} ALTER COLUMN series SET NOT NULL, ALTER COLUMN host SET NOT NULL,
                 ALTER COLUMN words SET NOT NULL;"
        ))
        .await?;
        tx.commit().await?;
        tracing::info!(table = %t, moved, "webui store migrated");
        Ok(())
    }
}
