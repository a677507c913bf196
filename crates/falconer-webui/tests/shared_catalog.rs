//! Two handles on one store (two replicas on one PostgreSQL table, two opens of one SQLite
//! file): names, hosts, tags and series that one handle stores are found by filters and
//! counts on the other, which numbered none of them itself (issue 21).

mod common;

use common::*;
use falconer_webui::query::{GroupBy, Query};
use falconer_webui::{open_store, Store};

fn by(f: impl FnOnce(&mut Query)) -> Query {
    let mut q = Query {
        limit: 100,
        ..Query::default()
    };
    f(&mut q);
    q
}

async fn count(store: &Store, q: &Query) -> u64 {
    store.count(q).await.expect("count")
}

async fn found(store: &Store, q: &Query) -> Vec<String> {
    let page = store.search(q).await.expect("search");
    assert_eq!(page.all, page.events.len() as u64, "one page holds all");
    let mut uuids: Vec<String> = page
        .events
        .iter()
        .map(|e| {
            let v: serde_json::Value = serde_json::from_str(e).expect("stored JSON");
            v["uuid"].as_str().expect("uuid").to_owned()
        })
        .collect();
    uuids.sort();
    uuids
}

async fn shared_catalog(backend: Backend) {
    let ui = start_with_user(backend).await;
    let writer = ui.store.clone();
    // The second handle opens before anything is stored: its catalog is empty, and it
    // numbers nothing itself.
    let reader = open_store(&ui.settings).await.expect("second handle");
    assert_eq!(count(&reader, &by(|_| {})).await, 0);
    let rule = by(|q| q.rules = vec!["Read ssh keys".into()]);
    assert_eq!(count(&reader, &rule).await, 0, "nothing stored yet");

    writer
        .insert(&[alert(1, "Warning", "Read ssh keys", "node-1", &["ssh"], 30)])
        .await
        .expect("insert");

    // Names the reader has never seen, asked for after a miss: found.
    assert_eq!(found(&reader, &rule).await, [uuid_of(1)]);
    assert_eq!(count(&reader, &rule).await, 1);
    let host = by(|q| q.hostnames = vec!["node-1".into()]);
    assert_eq!(count(&reader, &host).await, 1);
    let tag = by(|q| q.tags = vec!["ssh".into()]);
    assert_eq!(found(&reader, &tag).await, [uuid_of(1)]);
    let source = by(|q| q.sources = vec!["syscalls".into()]);
    assert_eq!(count(&reader, &source).await, 1);

    // A known rule at a new priority (a new series, all its names known to the reader).
    writer
        .insert(&[alert(
            2,
            "Critical",
            "Read ssh keys",
            "node-1",
            &["ssh"],
            20,
        )])
        .await
        .expect("insert");
    assert_eq!(
        found(&reader, &rule).await,
        [uuid_of(1), uuid_of(2)],
        "the new series of a known rule"
    );
    let critical = by(|q| q.priorities = vec!["Critical".into()]);
    assert_eq!(found(&reader, &critical).await, [uuid_of(2)]);
    assert_eq!(count(&reader, &critical).await, 1);
    let both = by(|q| {
        q.priorities = vec!["Critical".into(), "Warning".into()];
        q.hostnames = vec!["node-1".into()];
    });
    assert_eq!(count(&reader, &both).await, 2);

    // New hosts, rules and tags appear in counts by field and the timeline, filtered or not.
    writer
        .insert(&[
            alert(
                3,
                "Notice",
                "Launch suspicious network tool",
                "node-9",
                &["net"],
                10,
            ),
            alert(
                4,
                "Critical",
                "Launch suspicious network tool",
                "node-9",
                &["net"],
                5,
            ),
        ])
        .await
        .expect("insert");
    let hosts = reader
        .count_by(&by(|_| {}), GroupBy::Hostname)
        .await
        .expect("count by host");
    assert_eq!(
        hosts,
        [("node-1".to_owned(), 2), ("node-9".to_owned(), 2)],
        "every host, the other handle's new one too"
    );
    let rules = reader
        .count_by(&critical, GroupBy::Rule)
        .await
        .expect("count by rule");
    assert_eq!(
        rules,
        [
            ("Launch suspicious network tool".to_owned(), 1),
            ("Read ssh keys".to_owned(), 1)
        ]
    );
    let tags = reader
        .count_by(&by(|q| q.tags = vec!["net".into()]), GroupBy::Tags)
        .await
        .expect("count by tag");
    assert_eq!(tags, [("net".to_owned(), 2)]);
    let now = chrono::Utc::now().timestamp_micros();
    let cells = reader
        .timeline(
            &by(|q| q.priorities = vec!["Critical".into()]),
            now - 120_000_000,
            60_000_000,
            2,
        )
        .await
        .expect("timeline");
    let critical_cells: u64 = cells
        .iter()
        .filter(|(_, p, _)| p == "Critical")
        .map(|c| c.2)
        .sum();
    assert_eq!(critical_cells, 2, "{cells:?}");
    // Free text that matches the new host's name by substring (a term of two characters).
    let words = by(|q| q.terms = vec!["-9".into()]);
    assert_eq!(count(&reader, &words).await, 2);

    // A value nobody stored still selects nothing (after one reload).
    let unknown = by(|q| q.rules = vec!["No such rule".into()]);
    assert_eq!(count(&reader, &unknown).await, 0);
    assert!(found(&reader, &unknown).await.is_empty());

    // And the other way round: the reader's writes are found by the first handle.
    reader
        .insert(&[alert(5, "Emergency", "Reader's rule", "node-7", &["r"], 1)])
        .await
        .expect("insert through the second handle");
    let theirs = by(|q| {
        q.rules = vec!["Reader's rule".into()];
        q.hostnames = vec!["node-7".into()];
        q.tags = vec!["r".into()];
    });
    assert_eq!(found(&writer, &theirs).await, [uuid_of(5)]);
    drop(reader);
    ui.cleanup().await;
}

#[tokio::test]
async fn shared_catalog_sqlite() {
    shared_catalog(Backend::Sqlite).await;
}

#[tokio::test]
async fn shared_catalog_postgres() {
    shared_catalog(Backend::Postgres).await;
}

/// Rows of the events table with a compressed body, and with a text one, and dictionaries
/// stored.
async fn pg_bodies(table: &str) -> (i64, i64, i64) {
    let (client, conn) = tokio_postgres::connect(&pg_dsn(), tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    let row = client
        .query_one(
            &format!(
                "SELECT COUNT(*) FILTER (WHERE zbody IS NOT NULL AND body = ''),
                        COUNT(*) FILTER (WHERE zbody IS NULL AND body <> ''),
                        (SELECT COUNT(*) FROM {table}_zdict)
                 FROM {table}"
            ),
            &[],
        )
        .await
        .expect("count bodies");
    (row.get(0), row.get(1), row.get(2))
}

/// PostgreSQL replicas share the bodies' compression: one trains the dictionary from its
/// first 1,000 alerts and compresses what follows; the other, opened before that dictionary
/// existed, reads those bodies, finds them by substrings of their output (which only
/// Falconer can read in a compressed body), and adopts that dictionary instead of training
/// its own; so does one opened later.
#[tokio::test]
async fn compressed_bodies_are_shared_postgres() {
    let ui = start_with_user(Backend::Postgres).await;
    let writer = ui.store.clone();
    let reader = open_store(&ui.settings).await.expect("second handle");
    let alerts = |from: u128, to: u128| -> Vec<_> {
        (from..=to)
            .map(|n| {
                let host = format!("node-{}", n % 3);
                alert(
                    n,
                    "Warning",
                    "Write below etc",
                    &host,
                    &[],
                    4_000 - n as i64,
                )
            })
            .collect()
    };
    for chunk in alerts(1, 1_600).chunks(400) {
        assert_eq!(writer.insert(chunk).await.expect("insert"), 400);
    }
    // The third batch brought the samples to 1,000: the fourth is compressed.
    assert_eq!(pg_bodies(&ui.settings.table).await, (400, 1_200, 1));

    let compressed = uuid_of(1_500);
    let json = reader.get(&compressed).await.expect("get").expect("stored");
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["uuid"], compressed);
    assert_eq!(v["output_fields"]["proc.name"], "cat1500");
    assert_eq!(
        writer.get(&compressed).await.expect("get"),
        Some(json),
        "both replicas read the same JSON"
    );

    // "t1" (two characters: a substring of the output) is in `cat1`, `cat10`–`cat19`,
    // `cat100`–`cat199` and `cat1000`–`cat1600`.
    let short = by(|q| q.terms = vec!["t1".into()]);
    assert_eq!(count(&reader, &short).await, 712);
    let page = reader.search(&short).await.expect("search");
    assert_eq!((page.all, page.events.len()), (712, 100));
    for e in &page.events {
        let v: serde_json::Value = serde_json::from_str(e).expect("JSON");
        let output = v["output"].as_str().expect("output");
        assert!(output.contains("(proc=cat1"), "{output}");
    }
    let next = by(|q| {
        q.terms = vec!["t1".into()];
        q.cursor = page.next.clone();
    });
    let second = reader.search(&next).await.expect("second page");
    assert_eq!(second.events.len(), 100);
    assert!(second.events.iter().all(|e| !page.events.contains(e)));
    let now = chrono::Utc::now().timestamp_micros();
    let cells = reader
        .timeline(&short, now - 7_200_000_000, 60_000_000, 120)
        .await
        .expect("timeline");
    assert_eq!(cells.iter().map(|c| c.2).sum::<u64>(), 712, "{cells:?}");
    let by_host = reader
        .count_by(&short, GroupBy::Hostname)
        .await
        .expect("counts by host");
    assert_eq!(by_host.iter().map(|(_, n)| n).sum::<u64>(), 712);
    // Terms that names hold (the rule's "tc", the hosts' "e-") match without the output:
    // every event.
    let named = by(|q| q.terms = vec!["tc".into(), "e-".into()]);
    assert_eq!(count(&reader, &named).await, 1_600);
    let page = reader.search(&named).await.expect("search");
    assert_eq!((page.all, page.events.len()), (1_600, 100));

    // The other replica took the stored dictionary when it first read a body compressed with
    // it: it compresses all its alerts, and trains none of its own.
    for chunk in alerts(2_001, 3_600).chunks(400) {
        assert_eq!(reader.insert(chunk).await.expect("insert"), 400);
    }
    assert_eq!(pg_bodies(&ui.settings.table).await, (2_000, 1_200, 1));
    // A third, opened now, takes it at once.
    let third = open_store(&ui.settings).await.expect("third handle");
    third.insert(&alerts(4_001, 4_001)).await.expect("insert");
    assert_eq!(pg_bodies(&ui.settings.table).await, (2_001, 1_200, 1));
    drop(third);
    drop(reader);
    ui.cleanup().await;
}
