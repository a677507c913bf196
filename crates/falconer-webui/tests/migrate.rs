//! A SQLite store written by an older Falconer (schema 2: one `events` table with the JSON
//! and five text indexes, `event_tags`, a trigram `events_fts`) opens with its events: they
//! are moved to the current layout, searchable, counted, and the old tables are gone.

mod common;

use common::*;
use falconer_webui::query::{GroupBy, RawQuery};
use falconer_webui::StoreKind;

/// Schema 2, as Falconer 0.1 created it.
const SCHEMA_V2: &str = "
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
CREATE TABLE IF NOT EXISTS dropped (
    minute INTEGER NOT NULL,
    reason TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (minute, reason)
) WITHOUT ROWID;
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
PRAGMA user_version = 2;
";

/// Writes `alerts` the way schema-2 Falconer did.
fn write_v2(path: &std::path::Path, alerts: &[std::sync::Arc<falconer_event::Alert>]) {
    let mut conn = rusqlite::Connection::open(path).expect("open v2");
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")
        .expect("auto_vacuum");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.execute_batch(SCHEMA_V2).expect("schema v2");
    let tx = conn.transaction().expect("tx");
    for a in alerts {
        let json = String::from_utf8(a.to_json().to_vec()).expect("utf-8");
        tx.execute(
            "INSERT INTO events (uuid, ts, priority, rule, source, hostname, output, json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![
                a.uuid,
                a.time.timestamp_micros(),
                a.priority.as_str(),
                a.rule,
                a.source,
                a.hostname,
                a.output,
                json
            ],
        )
        .expect("insert v2");
        let id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO events_fts (rowid, doc) VALUES (?1, ?2)",
            rusqlite::params![id, format!("{}\n{}", a.output, a.rule)],
        )
        .expect("fts v2");
        for t in &a.tags {
            tx.execute(
                "INSERT INTO event_tags (tag, event_id, ts) VALUES (?1, ?2, ?3)",
                rusqlite::params![t, id, a.time.timestamp_micros()],
            )
            .expect("tags v2");
        }
    }
    tx.execute(
        "INSERT INTO silences (id, match_expr, starts_at, ends_at, created_by, comment, created_at)
         VALUES ('s1', 'rule = x', 0, 4102444800000000, 'admin', 'kept', 1)",
        [],
    )
    .expect("silence v2");
    tx.commit().expect("commit v2");
}

fn query(pairs: &[(&str, &str)]) -> falconer_webui::query::Query {
    let raw: RawQuery = serde_json::from_value(serde_json::Value::Object(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
            .collect(),
    ))
    .expect("raw query");
    raw.resolve(falconer_webui::query::now_us()).expect("query")
}

#[tokio::test]
async fn a_schema_2_store_opens_with_its_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = store_settings(Backend::Sqlite, dir.path());
    assert_eq!(settings.kind, StoreKind::Sqlite);
    let path = std::path::PathBuf::from(&settings.path);
    // More than one migration step's worth, plus the six samples.
    let mut alerts = sample();
    for i in 0..6_000u128 {
        alerts.push(alert(
            1_000 + i,
            "Informational",
            "Bulk rule",
            &format!("bulk-{}", i % 7),
            &["bulk"],
            3_600 + (i as i64 % 3_000),
        ));
    }
    write_v2(&path, &alerts);

    let store = falconer_webui::open_store(&settings)
        .await
        .expect("open and migrate");
    assert_eq!(store.count(&query(&[])).await.expect("count"), 6_006);
    let page = store
        .search(&query(&[("since", "1h"), ("limit", "10")]))
        .await
        .expect("search");
    let got: Vec<String> = page
        .events
        .iter()
        .map(|e| {
            serde_json::from_str::<serde_json::Value>(e).expect("json")["uuid"]
                .as_str()
                .expect("uuid")
                .to_owned()
        })
        .collect();
    assert_eq!(got, [uuid_of(1), uuid_of(2), uuid_of(3)]);
    // The stored JSON is the original, byte for byte.
    let original = String::from_utf8(alerts[3].to_json().to_vec()).expect("utf-8");
    assert_eq!(store.get(&uuid_of(4)).await.expect("get"), Some(original));
    // Counts, filters and the word index work on migrated events.
    let tags = store
        .count_by(&query(&[]), GroupBy::Tags)
        .await
        .expect("count by tags");
    assert_eq!(tags[0], ("bulk".to_owned(), 6_000));
    // `cat5` begins the words cat5 and cat5000…cat5999; `cat5)` is the word cat5 alone.
    assert_eq!(
        store
            .count(&query(&[("filter", "cat5")]))
            .await
            .expect("filter"),
        1_001
    );
    assert_eq!(
        store
            .count(&query(&[("filter", "cat5)")]))
            .await
            .expect("filter"),
        1
    );
    assert_eq!(
        store
            .count(&query(&[
                ("hostname", "bulk-3"),
                ("priority", "informational")
            ]))
            .await
            .expect("hostname"),
        857
    );
    let silences = store
        .silences(false, falconer_webui::query::now_us(), 10)
        .await
        .expect("silences");
    assert_eq!(silences.len(), 1);
    drop(store);

    // The old tables are gone, the version is 3, and opening again changes nothing.
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        let old: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('events', 'event_tags', 'events_fts')",
                [],
                |r| r.get(0),
            )
            .expect("tables");
        assert_eq!(old, 0);
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(v, 3);
    }
    let store = falconer_webui::open_store(&settings).await.expect("reopen");
    assert_eq!(store.count(&query(&[])).await.expect("count"), 6_006);
    assert_eq!(
        store.insert(&sample()).await.expect("insert"),
        0,
        "UUIDs kept"
    );
}

/// The PostgreSQL table of an older Falconer: one text column per field, tags as `text[]`,
/// a search text with a trigram index, the JSON.
async fn write_pg_v2(table: &str, alerts: &[std::sync::Arc<falconer_event::Alert>]) {
    let (client, conn) = tokio_postgres::connect(&pg_dsn(), tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    let t = table;
    client
        .batch_execute(&format!(
            "CREATE TABLE {t} (
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
            CREATE INDEX {t}_ts ON {t} (ts);
            CREATE INDEX {t}_priority_ts ON {t} (priority, ts);
            CREATE INDEX {t}_rule_ts ON {t} (rule, ts);
            CREATE INDEX {t}_source_ts ON {t} (source, ts);
            CREATE INDEX {t}_hostname_ts ON {t} (hostname, ts);
            CREATE INDEX {t}_tags ON {t} USING GIN (tags);
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
            CREATE INDEX {t}_doc_trgm ON {t} USING GIN (doc gin_trgm_ops);
            CREATE TABLE {t}_dropped (minute BIGINT NOT NULL, reason TEXT NOT NULL, n BIGINT NOT NULL,
                PRIMARY KEY (minute, reason));
            INSERT INTO {t}_dropped VALUES (0, 'queue_full', 3);"
        ))
        .await
        .expect("old layout");
    for a in alerts {
        let json = String::from_utf8(a.to_json().to_vec()).expect("utf-8");
        client
            .execute(
                &format!(
                    "INSERT INTO {t} (uuid, ts, priority, rule, source, hostname, tags, output, doc, json)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ),
                &[
                    &a.uuid,
                    &a.time.timestamp_micros(),
                    &a.priority.as_str(),
                    &a.rule,
                    &a.source,
                    &a.hostname,
                    &a.tags,
                    &a.output,
                    &format!("{}\n{}", a.output, a.rule),
                    &json,
                ],
            )
            .await
            .expect("old row");
    }
}

#[tokio::test]
async fn an_older_postgres_table_is_converted_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = store_settings(Backend::Postgres, dir.path());
    let mut alerts = sample();
    for i in 0..700u128 {
        alerts.push(alert(
            1_000 + i,
            "Informational",
            "Bulk rule",
            &format!("bulk-{}", i % 7),
            &["bulk"],
            3_600 + (i as i64 % 3_000),
        ));
    }
    write_pg_v2(&settings.table, &alerts).await;

    let store = falconer_webui::open_store(&settings)
        .await
        .expect("open and migrate");
    assert_eq!(store.count(&query(&[])).await.expect("count"), 706);
    let page = store
        .search(&query(&[("since", "1h"), ("limit", "10")]))
        .await
        .expect("search");
    assert_eq!(page.all, 3);
    let original = String::from_utf8(alerts[3].to_json().to_vec()).expect("utf-8");
    assert_eq!(store.get(&uuid_of(4)).await.expect("get"), Some(original));
    let tags = store
        .count_by(&query(&[]), GroupBy::Tags)
        .await
        .expect("count by tags");
    assert_eq!(tags[0], ("bulk".to_owned(), 700));
    assert_eq!(
        store
            .count(&query(&[("filter", "cat5)")]))
            .await
            .expect("filter"),
        1
    );
    assert_eq!(
        store
            .count(&query(&[
                ("hostname", "bulk-3"),
                ("priority", "informational")
            ]))
            .await
            .expect("hostname"),
        100
    );
    assert_eq!(store.drops(None, None).await.expect("drops").total, 3);
    assert_eq!(
        store.insert(&sample()).await.expect("insert"),
        0,
        "UUIDs kept"
    );
    drop(store);
    // Opening again (a second replica, a restart) changes nothing.
    let store = falconer_webui::open_store(&settings).await.expect("reopen");
    assert_eq!(store.count(&query(&[])).await.expect("count"), 706);
    drop(store);

    let (client, conn) = tokio_postgres::connect(&pg_dsn(), tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    let t = &settings.table;
    let old_columns: i64 = client
        .query_one(
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = $1
             AND column_name IN ('json', 'doc', 'priority', 'tags')",
            &[t],
        )
        .await
        .expect("columns")
        .get(0);
    assert_eq!(old_columns, 0);
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS {t}; DROP TABLE IF EXISTS {t}_dropped; DROP TABLE IF EXISTS {t}_silences;
             DROP TABLE IF EXISTS {t}_dims; DROP TABLE IF EXISTS {t}_series; DROP TABLE IF EXISTS {t}_agg;
             DROP TABLE IF EXISTS {t}_agg_host; DROP TABLE IF EXISTS {t}_zdict"
        ))
        .await
        .expect("cleanup");
}
