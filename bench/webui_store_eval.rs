//! The UI store's own cost per alert (issue 21): what the `webui` output's batches cost once
//! they leave the queue (the index document, the alert's JSON rendered and compressed, the
//! SQLite transaction), without HTTP, ingest or the other threads of a server, so two builds
//! can be compared to a few percent where `bench/webui.py`'s whole-server figures drift by ten.
//!
//! ```text
//! cargo run --release -p falconer-webui --example store-insert-bench -- ALERTS.ndjson \
//!     [--count 300000] [--batch 500] [--round 50000] [--postgres DSN]
//! ```
//!
//! `ALERTS.ndjson` holds Falco alerts, one JSON per line, for example an export of a store
//! that `bench/webui.py` filled (its varied alerts):
//! `curl 'http://127.0.0.1:2802/api/v1/events/export?format=ndjson&limit=200000&since=30d'`.
//! The program decodes `--count` alerts from them in turn, each with a new UUID and a time
//! 1 ms after the one before (so a short file still makes distinct events in time order),
//! before it measures anything. It then inserts them into a new SQLite store in a temporary
//! directory, `--batch` at a time as the output does, and prints per `--round` alerts the
//! process's CPU time per stored alert and the rate; the first round includes training the
//! compression dictionary. At the end: the database's bytes per alert (database and WAL).
//!
//! With `--postgres DSN` the store is a new table in that database instead (dropped at the
//! end); the CPU figure is then Falconer's side only, and the bytes per alert are
//! `pg_total_relation_size` of the event table (heap, TOAST, indexes), with each part
//! printed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use falconer_event::Alert;
use falconer_webui::{open_store, StoreKind, StoreSettings};

/// The server's allocator (see `crates/falconer/src/main.rs`), so the figures are its own.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn usage() -> ! {
    eprintln!(
        "usage: store-insert-bench ALERTS.ndjson [--count N] [--batch N] [--round N] [--postgres DSN]"
    );
    std::process::exit(2)
}

/// Process CPU time (all threads) in seconds.
fn cpu_seconds() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

struct Args {
    alerts: PathBuf,
    count: usize,
    batch: usize,
    round: usize,
    postgres: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        alerts: PathBuf::new(),
        count: 300_000,
        batch: 500,
        round: 50_000,
        postgres: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut number = || {
            it.next()
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|n| *n > 0)
                .unwrap_or_else(|| usage())
        };
        match arg.as_str() {
            "--count" => a.count = number(),
            "--batch" => a.batch = number(),
            "--round" => a.round = number(),
            "--postgres" => a.postgres = Some(it.next().unwrap_or_else(|| usage())),
            s if !s.starts_with("--") && a.alerts.as_os_str().is_empty() => a.alerts = s.into(),
            _ => usage(),
        }
    }
    if a.alerts.as_os_str().is_empty() {
        usage()
    }
    a
}

/// `count` alerts made from the file's lines in turn, each with its own UUID and time.
fn alerts(path: &PathBuf, count: usize) -> Result<Vec<Arc<Alert>>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path)?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return Err(format!("{}: no alerts", path.display()).into());
    }
    let start = falconer_event::now() - chrono::Duration::days(7);
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let mut alert = Alert::decode(lines[i % lines.len()].as_bytes())?;
        alert.uuid = uuid::Uuid::new_v4().to_string();
        alert.time = start + chrono::Duration::milliseconds(i as i64);
        out.push(Arc::new(alert));
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args();
    let alerts = alerts(&args.alerts, args.count)?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("webui.sqlite");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let table = format!("store_bench_{}", std::process::id());
        let settings = match &args.postgres {
            None => StoreSettings {
                kind: StoreKind::Sqlite,
                path: path.to_string_lossy().into_owned(),
                ..StoreSettings::default()
            },
            Some(dsn) => StoreSettings {
                kind: StoreKind::Postgres,
                dsn: falconer_config::Secret::new(dsn.clone()),
                table: table.clone(),
                ..StoreSettings::default()
            },
        };
        let store = open_store(&settings).await?;
        println!("round\tstored\tcpu_us_per_alert\talerts_per_s");
        for (r, round) in alerts.chunks(args.round).enumerate() {
            let (cpu0, t0) = (cpu_seconds(), Instant::now());
            let mut stored = 0u64;
            for batch in round.chunks(args.batch) {
                stored += store.insert(batch).await?;
            }
            let (cpu, secs) = (cpu_seconds() - cpu0, t0.elapsed().as_secs_f64());
            println!(
                "{}\t{stored}\t{:.1}\t{:.0}",
                r + 1,
                cpu * 1e6 / stored.max(1) as f64,
                stored as f64 / secs
            );
        }
        drop(store);
        if let Some(dsn) = &args.postgres {
            postgres_sizes(dsn, &table, args.count).await?;
        }
        Ok::<(), Box<dyn std::error::Error>>(())
    })?;
    if args.postgres.is_some() {
        return Ok(());
    }
    let bytes: u64 = ["webui.sqlite", "webui.sqlite-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.path().join(f)).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "disk: {bytes} bytes, {:.0} per alert (database and WAL)",
        bytes as f64 / args.count as f64
    );
    Ok(())
}

/// Prints the event table's size per alert, and of each part, then drops the store's tables.
async fn postgres_sizes(
    dsn: &str,
    table: &str,
    count: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let (client, conn) = tokio_postgres::connect(dsn, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    client
        .batch_execute(&format!("VACUUM ANALYZE {table}"))
        .await?;
    let row = client
        .query_one(
            &format!(
                "SELECT pg_total_relation_size('{table}'), pg_relation_size('{table}'),
                        pg_total_relation_size('{table}') - pg_relation_size('{table}')
                            - pg_indexes_size('{table}'),
                        pg_indexes_size('{table}'),
                        (SELECT avg(COALESCE(pg_column_size(zbody), pg_column_size(body)))::float8
                         FROM {table}),
                        (SELECT avg(pg_column_size(words))::float8 FROM {table})"
            ),
            &[],
        )
        .await?;
    let per = |i: usize| row.get::<_, i64>(i) as f64 / count as f64;
    println!(
        "disk: {} bytes, {:.0} per alert (heap {:.0}, TOAST {:.0}, indexes {:.0}; \
         average column: body {:.0}, words {:.0})",
        row.get::<_, i64>(0),
        per(0),
        per(1),
        per(2),
        per(3),
        row.get::<_, Option<f64>>(4).unwrap_or(0.0),
        row.get::<_, Option<f64>>(5).unwrap_or(0.0),
    );
    for (name, size) in client
        .query(
            "SELECT indexrelname::text, pg_relation_size(indexrelid) FROM pg_stat_user_indexes
             WHERE relname = $1 ORDER BY 2 DESC",
            &[&table],
        )
        .await?
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)))
    {
        println!(
            "  index {name}: {:.0} bytes per alert",
            size as f64 / count as f64
        );
    }
    let tables: Vec<String> = client
        .query(
            "SELECT tablename::text FROM pg_tables WHERE tablename LIKE $1",
            &[&format!("{table}%")],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for t in tables {
        client
            .batch_execute(&format!("DROP TABLE IF EXISTS {t}"))
            .await?;
    }
    Ok(())
}
