//! Scale check (ignored by default): fills a SQLite store with `WEBUI_SCALE_EVENTS` events
//! (100000 by default) in batches of 500, as the `webui` output does, then times the
//! dashboard's queries. Run with
//! `cargo test -p falconer-webui --release --test scale -- --ignored --nocapture`.

mod common;

use std::time::Instant;

use common::*;
use falconer_webui::query::{GroupBy, RawQuery};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow: a scale measurement, not a check"]
async fn fill_and_query() {
    let n: u128 = std::env::var("WEBUI_SCALE_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = store_settings(Backend::Sqlite, dir.path());
    settings.retention.maxevents = 0;
    let store = falconer_webui::open_store(&settings).await.expect("store");
    let prios = ["Critical", "Warning", "Notice", "Error", "Informational"];
    let rules = [
        "Write below etc",
        "Terminal shell in container",
        "Read sensitive file",
        "Contact K8S API",
    ];
    let start = Instant::now();
    let mut batch = Vec::with_capacity(500);
    for i in 0..n {
        let age = (i % 86_400) as i64;
        batch.push(alert(
            i + 1,
            prios[(i % 5) as usize],
            rules[(i % 4) as usize],
            &format!("node-{}", i % 20),
            &["container", "mitre_execution"],
            age,
        ));
        if batch.len() == 500 {
            store.insert(&batch).await.expect("insert");
            batch.clear();
        }
    }
    store.insert(&batch).await.expect("insert");
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "inserted {n} events in {secs:.1}s: {:.0}/s",
        n as f64 / secs
    );

    let q = |pairs: &str| -> falconer_webui::query::Query {
        let raw: RawQuery = serde_json::from_value(serde_json::Value::Object(
            pairs
                .split('&')
                .filter(|p| !p.is_empty())
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.to_owned(), serde_json::Value::from(v)))
                .collect(),
        ))
        .expect("raw");
        raw.resolve(falconer_webui::query::now_us()).expect("query")
    };
    for (name, query) in [
        ("search page 1", q("")),
        ("search since=1h", q("since=1h")),
        ("search priority=Critical", q("priority=Critical")),
        ("search filter=node-7", q("filter=node-7")),
        ("search page 100", q("page=100")),
    ] {
        let t = Instant::now();
        let page = store.search(&query).await.expect("search");
        eprintln!(
            "{name}: {} of {} in {:?}",
            page.events.len(),
            page.all,
            t.elapsed()
        );
    }
    let window = q("since=24h");
    for by in GroupBy::ALL {
        let t = Instant::now();
        let rows = store.count_by(&window, by).await.expect("count by");
        eprintln!(
            "count/{}: {} values in {:?}",
            by.as_str(),
            rows.len(),
            t.elapsed()
        );
    }
    let t = Instant::now();
    let end = falconer_webui::query::now_us();
    store
        .timeline(&window, end - 86_400_000_000, 1_440_000_000, 60)
        .await
        .expect("timeline");
    eprintln!("timeline 24h/60: {:?}", t.elapsed());
}
