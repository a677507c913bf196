//! The `webui` output behind the real delivery core: into the shared built-in store (the
//! one the UI reads), batched and idempotent; into PostgreSQL; and falcosidekick's
//! `{event, outputs}` POST to a remote UI with basic credentials from the URL.

use std::time::Duration;

use falconer_config::GlobalSettings;
use falconer_testkit::{enriched, DeliveryHarness, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT};
use falconer_webui::{open_store, Settings, StoreKind, StoreSettings, Stores, UiInfo, UiState};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(20);

fn sqlite_settings(dir: &std::path::Path) -> Value {
    // The seed alerts are from 2024: keep them, and the counts of those not stored, by age.
    // Without a `maxage`, retention drops counts older than 30 days as long as no event is
    // that old, and its first pass could run between the counts' write and the events'
    // (under load it did, and the counts were gone).
    json!({"store": {"path": dir.join("events.sqlite").display().to_string(),
                     "retention": {"maxage": "3650d", "maxevents": 1000}}})
}

async fn harness(settings: Value) -> DeliveryHarness {
    harness_with(settings, &Stores::with_defaults()).await
}

/// The output built with `stores`, the registry the test then reads the store from.
async fn harness_with(settings: Value, stores: &std::sync::Arc<Stores>) -> DeliveryHarness {
    DeliveryHarness::start_with_resources(
        vec![UnderTest::new(falconer_output_webui::KIND, "ui", settings)],
        GlobalSettings::default(),
        falconer_core::Resources::default().with(stores.clone()),
    )
    .await
}

#[tokio::test]
async fn batches_land_in_the_store_the_ui_reads_once_each() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = sqlite_settings(dir.path());
    let stores = Stores::with_defaults();
    let h = harness_with(settings.clone(), &stores).await;
    let alerts: Vec<_> = (1..=50)
        .map(|n| {
            enriched(
                if n % 2 == 0 {
                    CONFIGMAP_ALERT
                } else {
                    SHELL_ALERT
                },
                n,
            )
        })
        .collect();
    for a in &alerts {
        h.dispatcher.dispatch(a.clone()).await;
    }
    // A retry of already delivered alerts (same UUIDs) adds nothing.
    for a in &alerts[..5] {
        h.dispatcher.dispatch(a.clone()).await;
    }
    let report = h.dispatcher.shutdown(WAIT).await;
    assert!(report.undelivered.is_empty(), "{:?}", report.undelivered);

    // The UI asks the registry for the same store and gets the output's handle.
    let store_settings: StoreSettings =
        serde_json::from_value(settings["store"].clone()).expect("store settings");
    let store = stores.shared(&store_settings).await.expect("shared store");
    let q = falconer_webui::query::RawQuery::default()
        .resolve(0)
        .expect("query");
    assert_eq!(store.count(&q).await.expect("count"), 50);
    let page = store.search(&q).await.expect("search");
    let stored: Value = serde_json::from_str(&page.events[0]).expect("json");
    let original: Value = serde_json::from_slice(alerts[0].to_json()).expect("original json");
    assert!(page
        .events
        .iter()
        .any(|e| serde_json::from_str::<Value>(e).expect("json") == original));
    assert_eq!(
        stored["output_fields"].as_object().map(|o| !o.is_empty()),
        Some(true)
    );
    assert!(
        h.metric("falconer_output_deliveries_total{output=\"ui\",kind=\"webui\",status=\"ok\"}")
            > 0.0
            || h.metric(
                "falcosecurity_falcosidekick_outputs_total{destination=\"webui\",status=\"ok\"}"
            ) > 0.0,
        "deliveries counted"
    );
}

/// A burst beyond the store's queue: what does not fit is counted in the store itself (per
/// minute and reason), where the UI's API and pages find it.
#[tokio::test]
async fn a_full_queue_is_recorded_in_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = sqlite_settings(dir.path());
    let mut common = falconer_config::CommonSettings::default();
    common.queue.capacity = 4;
    let stores = Stores::with_defaults();
    let h = DeliveryHarness::start_with_resources(
        vec![UnderTest::new(falconer_output_webui::KIND, "ui", settings.clone()).common(common)],
        GlobalSettings::default(),
        falconer_core::Resources::default().with(stores.clone()),
    )
    .await;
    // One thread: the worker cannot run while the burst is dispatched.
    let mut dropped = 0;
    for n in 1..=40 {
        dropped += h
            .dispatcher
            .dispatch(enriched(CONFIGMAP_ALERT, n))
            .await
            .dropped;
    }
    assert!(dropped >= 30, "{dropped} dropped");
    let report = h.dispatcher.shutdown(WAIT).await;
    assert!(report.undelivered.is_empty(), "{:?}", report.undelivered);
    let store_settings: StoreSettings =
        serde_json::from_value(settings["store"].clone()).expect("store settings");
    let store = stores.shared(&store_settings).await.expect("shared store");
    let mut drops = falconer_webui::Drops::default();
    for _ in 0..50 {
        drops = store.drops(None, None).await.expect("drops");
        if drops.total > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(drops.total, dropped as u64, "{drops:?}");
    assert_eq!(drops.by_reason.get("queue_full"), Some(&(dropped as u64)));
    let q = falconer_webui::query::RawQuery::default()
        .resolve(0)
        .expect("query");
    assert_eq!(
        store.count(&q).await.expect("count") + drops.total,
        40,
        "every alert is stored or counted as not stored"
    );
    // The seed alert's minute (its own time), not the wall clock's.
    let minute = falconer_webui::minute_of(enriched(CONFIGMAP_ALERT, 1).time.timestamp_micros());
    assert_eq!(
        store
            .drops(Some(minute), Some(minute + 60_000_000))
            .await
            .expect("drops")
            .total,
        dropped as u64
    );
}

#[tokio::test]
async fn postgres_store() {
    let table = format!("webui_out_{}", uuid::Uuid::new_v4().simple());
    let dsn = std::env::var("FALCONER_TEST_PG_DSN")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".into());
    let settings = json!({"store": {"kind": "postgres", "dsn": dsn, "table": table,
                                    "retention": {"maxage": 0, "maxevents": 1000}}});
    let h = harness(settings.clone()).await;
    for n in 1..=20 {
        h.dispatcher.dispatch(enriched(CONFIGMAP_ALERT, n)).await;
    }
    h.dispatcher.dispatch(enriched(CONFIGMAP_ALERT, 1)).await;
    let report = h.dispatcher.shutdown(WAIT).await;
    assert!(report.undelivered.is_empty(), "{:?}", report.undelivered);
    let mut s: StoreSettings =
        serde_json::from_value(settings["store"].clone()).expect("store settings");
    s.kind = StoreKind::Postgres;
    let store = open_store(&s).await.expect("PostgreSQL on 127.0.0.1:5432");
    let q = falconer_webui::query::RawQuery::default()
        .resolve(0)
        .expect("query");
    assert_eq!(store.count(&q).await.expect("count"), 20);
    let (client, conn) = tokio_postgres_connect(&dsn).await;
    tokio::spawn(conn);
    client
        .batch_execute(&format!(
            "DROP TABLE {table}; DROP TABLE IF EXISTS {table}_dropped, {table}_silences, {table}_dims,
             {table}_series, {table}_agg, {table}_agg_host, {table}_zdict"
        ))
        .await
        .expect("cleanup");
}

async fn tokio_postgres_connect(
    dsn: &str,
) -> (
    tokio_postgres::Client,
    tokio_postgres::Connection<tokio_postgres::Socket, tokio_postgres::tls::NoTlsStream>,
) {
    tokio_postgres::connect(dsn, tokio_postgres::NoTls)
        .await
        .expect("connect")
}

#[tokio::test]
async fn posts_falcosidekick_format_to_a_remote_ui_with_url_credentials() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hash = bcrypt::hash("s3cret", 4).expect("hash");
    let mut ui: Settings = serde_json::from_value(
        json!({"auth": {"users": [{"username": "feeder", "password": hash}]}}),
    )
    .expect("ui settings");
    ui.store.kind = StoreKind::Sqlite;
    ui.store.path = dir.path().join("remote.sqlite").display().to_string();
    let store = open_store(&ui.store).await.expect("store");
    let state = UiState::new(&ui, store.clone(), UiInfo::default()).expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let stop = CancellationToken::new();
    tokio::spawn(falconer_webui::serve_with_defaults(
        listener,
        state,
        stop.clone(),
    ));

    let good = harness(json!({"url": format!("http://feeder:s3cret@{addr}")})).await;
    good.dispatcher.dispatch(enriched(CONFIGMAP_ALERT, 7)).await;
    good.dispatcher.dispatch(enriched(CONFIGMAP_ALERT, 7)).await;
    let report = good.dispatcher.shutdown(WAIT).await;
    assert!(report.undelivered.is_empty(), "{:?}", report.undelivered);
    let q = falconer_webui::query::RawQuery::default()
        .resolve(0)
        .expect("query");
    let page = store.search(&q).await.expect("search");
    assert_eq!(page.all, 1, "the same UUID twice is stored once");
    let stored: Value = serde_json::from_str(&page.events[0]).expect("json");
    assert_eq!(stored["uuid"], uuid::Uuid::from_u128(7).to_string());
    assert_eq!(
        stored["rule"],
        "Create/Modify Configmap With Private Credentials"
    );

    // Wrong credentials: refused (401 is not retried), dead-lettered.
    let bad = harness(json!({"url": format!("http://feeder:wrong@{addr}")})).await;
    bad.dispatcher.dispatch(enriched(CONFIGMAP_ALERT, 8)).await;
    bad.dispatcher.shutdown(WAIT).await;
    assert_eq!(bad.dead_letters().len(), 1);
    assert_eq!(store.count(&q).await.expect("count"), 1);
    stop.cancel();
}

#[test]
fn validation() {
    use falconer_core::OutputConfig;
    let check = |v: Value| {
        let c: falconer_output_webui::WebUiConfig = serde_json::from_value(v).expect("parses");
        let mut problems = falconer_core::Problems::default();
        c.validate(&mut problems);
        problems.paths().map(str::to_owned).collect::<Vec<_>>()
    };
    assert!(check(json!({})).is_empty());
    assert!(check(json!({"url": "http://ui:2802"})).is_empty());
    assert_eq!(check(json!({"url": "ftp://ui"})), ["url"]);
    assert_eq!(
        check(json!({"url": "http://ui:2802", "store": {"path": "/tmp/x"}})),
        ["store"]
    );
    assert_eq!(check(json!({"store": {"kind": "postgres"}})), ["store.dsn"]);
}
