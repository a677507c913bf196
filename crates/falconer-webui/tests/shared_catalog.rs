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
