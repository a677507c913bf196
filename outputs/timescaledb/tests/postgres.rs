//! Against the real PostgreSQL on 127.0.0.1:5432 (trust auth, user `postgres`, database
//! `test`): a batch is one INSERT whose rows read back column by column; a table with
//! falcosidekick's documented schema works as it is; a missing table is created; a missing
//! table with `createtable: false`, a missing column and a missing database are refused for
//! good; a server that is down is retried.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use falconer_config::{CommonSettings, GlobalSettings, GoDuration};
use falconer_core::Alert;
use falconer_event::Enricher;
use falconer_testkit::{DeliveryHarness, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};
use tokio_postgres::NoTls;

const WAIT: Duration = Duration::from_secs(20);

fn table() -> String {
    format!("falconertest_{}", uuid::Uuid::new_v4().simple())
}

fn common(attempts: u32) -> CommonSettings {
    let mut c = CommonSettings::default();
    c.retry.initialbackoff = Some(GoDuration(Duration::from_millis(20)));
    c.retry.maxbackoff = Some(GoDuration(Duration::from_millis(100)));
    c.retry.maxattempts = Some(attempts);
    c.breaker.failures = 0;
    // Long enough for the alerts of a test to make one batch.
    c.batch.linger = Some(GoDuration(Duration::from_millis(300)));
    c
}

/// Globals with a custom field and a templated field (falcosidekick's docs example).
fn globals() -> GlobalSettings {
    let mut g = GlobalSettings::default();
    g.customfields
        .insert("custom_field_1".into(), "custom-value-1".into());
    g.templatedfields.insert(
        "k8s_namespace".into(),
        r#"{{ or (index . "k8s.ns.name") "null" }}"#.into(),
    );
    g
}

fn alert(json: &str, n: u128, global: &GlobalSettings) -> Arc<Alert> {
    let mut a = Alert::decode(json.as_bytes()).expect("sample alert");
    Enricher::new(&global.enrich_settings())
        .expect("enricher")
        .enrich(&mut a, uuid::Uuid::from_u128(n));
    Arc::new(a)
}

async fn start(settings: Value, global: GlobalSettings, attempts: u32) -> DeliveryHarness {
    DeliveryHarness::start(
        vec![
            UnderTest::new(falconer_output_timescaledb::KIND, "tsdb", settings)
                .common(common(attempts)),
        ],
        global,
    )
    .await
}

async fn db() -> tokio_postgres::Client {
    let (client, connection) =
        tokio_postgres::connect("host=127.0.0.1 port=5432 user=postgres dbname=test", NoTls)
            .await
            .expect("PostgreSQL on 5432 with database test is up");
    tokio::spawn(connection);
    client
}

type Row = (
    DateTime<Utc>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

async fn read(client: &tokio_postgres::Client, table: &str) -> Vec<Row> {
    client
        .query(
            &format!(
                "SELECT time, rule, priority, source, output, tags, hostname, custom_field_1, \
                 k8s_namespace FROM {table} ORDER BY time"
            ),
            &[],
        )
        .await
        .expect("SELECT")
        .iter()
        .map(|r| {
            (
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get(6),
                r.get(7),
                r.get(8),
            )
        })
        .collect()
}

fn expected(a: &Alert, namespace: Option<&str>) -> Row {
    let s = |v: &str| Some(v.to_owned());
    (
        // PostgreSQL keeps microseconds.
        a.time.with_timezone(&Utc).trunc_subsecs(6),
        s(&a.rule),
        s(a.priority.as_str()),
        s(&a.source),
        s(&a.output),
        (!a.tags.is_empty()).then(|| a.tags.join(",")),
        (!a.hostname.is_empty()).then(|| a.hostname.clone()),
        s("custom-value-1"),
        namespace.map(str::to_owned),
    )
}

const ATTEMPTS: &str = r#"falconer_output_attempts_total{kind="timescaledb",output="tsdb"}"#;
const DELIVERED: &str =
    r#"falconer_output_deliveries_total{kind="timescaledb",output="tsdb",status="ok"}"#;

#[tokio::test]
async fn a_missing_table_is_created_and_a_batch_reads_back_column_by_column() {
    let t = table();
    let global = globals();
    let env = start(
        json!({"host": "127.0.0.1", "port": "5432", "database": "test", "hypertablename": t}),
        global.clone(),
        3,
    )
    .await;
    let no_host = r#"{"output":"o","priority":"Debug","rule":"Bare","time":"2024-05-14T18:00:00.000001999Z","output_fields":{"x":1}}"#;
    let alerts = [
        alert(CONFIGMAP_ALERT, 1, &global),
        alert(SHELL_ALERT, 2, &global),
        alert(no_host, 3, &global),
    ];
    for a in &alerts {
        env.dispatcher.dispatch(a.clone()).await;
    }
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(env.metric(DELIVERED), 3.0);
    // One INSERT for the batch.
    assert_eq!(env.metric(ATTEMPTS), 1.0);

    let client = db().await;
    let rows = read(&client, &t).await;
    assert_eq!(
        rows,
        vec![
            // k8s.ns.name absent: the template gives "null", written as NULL.
            expected(&alerts[0], None),
            expected(&alerts[1], Some("default")),
            expected(&alerts[2], None),
        ]
    );
    // The column types of the created table.
    let types: Vec<(String, String)> = client
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_name = $1 ORDER BY ordinal_position",
            &[&t],
        )
        .await
        .expect("columns")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut want = vec![("time".to_owned(), "timestamp with time zone".to_owned())];
    for c in [
        "rule",
        "priority",
        "source",
        "output",
        "tags",
        "hostname",
        "custom_field_1",
        "k8s_namespace",
    ] {
        want.push((c.to_owned(), "text".to_owned()));
    }
    assert_eq!(types, want);
    client
        .batch_execute(&format!("DROP TABLE {t}"))
        .await
        .expect("cleanup");
}

#[tokio::test]
async fn a_table_with_falcosidekicks_documented_schema_is_used_as_it_is() {
    let t = table();
    let client = db().await;
    client
        .batch_execute(&format!(
            "CREATE TABLE {t} (time TIMESTAMPTZ NOT NULL, rule TEXT, priority VARCHAR(20), \
             source VARCHAR(20), output TEXT, tags TEXT, hostname TEXT, custom_field_1 TEXT, \
             k8s_namespace TEXT)"
        ))
        .await
        .expect("CREATE TABLE");
    let global = globals();
    let env = start(
        json!({"host": "127.0.0.1", "database": "test", "hypertablename": t, "createtable": false}),
        global.clone(),
        3,
    )
    .await;
    let a = alert(SHELL_ALERT, 1, &global);
    env.dispatcher.dispatch(a.clone()).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(read(&client, &t).await, vec![expected(&a, Some("default"))]);
    client
        .batch_execute(&format!("DROP TABLE {t}"))
        .await
        .expect("cleanup");
}

#[tokio::test]
async fn a_missing_table_or_column_is_refused_for_good() {
    let global = globals();
    // No table, and createtable off.
    let env = start(
        json!({"host": "127.0.0.1", "database": "test", "hypertablename": table(), "createtable": false}),
        global.clone(),
        3,
    )
    .await;
    env.dispatcher
        .dispatch(alert(SHELL_ALERT, 1, &global))
        .await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "rejected");
    assert_eq!(letters[0].meta.attempts, 1);
    assert!(
        letters[0].meta.error.contains("42P01"),
        "{}",
        letters[0].meta.error
    );

    // A table without the templated field's column.
    let t = table();
    let client = db().await;
    client
        .batch_execute(&format!(
            "CREATE TABLE {t} (time TIMESTAMPTZ NOT NULL, rule TEXT, priority TEXT, source TEXT, \
             output TEXT, tags TEXT, hostname TEXT, custom_field_1 TEXT)"
        ))
        .await
        .expect("CREATE TABLE");
    let env = start(
        json!({"host": "127.0.0.1", "database": "test", "hypertablename": t}),
        global.clone(),
        3,
    )
    .await;
    env.dispatcher
        .dispatch(alert(SHELL_ALERT, 2, &global))
        .await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters[0].meta.reason, "rejected");
    assert!(
        letters[0].meta.error.contains("42703"),
        "{}",
        letters[0].meta.error
    );
    client
        .batch_execute(&format!("DROP TABLE {t}"))
        .await
        .expect("cleanup");
}

#[tokio::test]
async fn a_missing_database_is_refused_for_good() {
    let env = start(
        json!({"host": "127.0.0.1", "database": "falconer_no_such_db"}),
        GlobalSettings::default(),
        3,
    )
    .await;
    env.dispatcher
        .dispatch(alert(SHELL_ALERT, 1, &GlobalSettings::default()))
        .await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "rejected");
    assert_eq!(letters[0].meta.attempts, 1);
    assert!(
        letters[0].meta.error.contains("3D000"),
        "{}",
        letters[0].meta.error
    );
}

#[tokio::test]
async fn a_server_that_is_down_is_retried_then_dead_lettered() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let env = start(
        json!({"host": "127.0.0.1", "port": port, "database": "test"}),
        GlobalSettings::default(),
        3,
    )
    .await;
    env.dispatcher
        .dispatch(alert(SHELL_ALERT, 1, &GlobalSettings::default()))
        .await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(env.metric(ATTEMPTS), 3.0);
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "retries_exhausted");
}

#[tokio::test]
async fn a_connection_the_server_terminates_is_replaced_for_the_next_batch() {
    let t = table();
    let global = globals();
    let name = format!("tsdb-{}", uuid::Uuid::new_v4().simple());
    let env = DeliveryHarness::start(
        vec![UnderTest::new(
            falconer_output_timescaledb::KIND,
            &name,
            json!({"host": "127.0.0.1", "database": "test", "hypertablename": t}),
        )
        .common(common(3))],
        global.clone(),
    )
    .await;
    let delivered = format!(
        r#"falconer_output_deliveries_total{{kind="timescaledb",output="{name}",status="ok"}}"#
    );
    let first = alert(CONFIGMAP_ALERT, 1, &global);
    env.dispatcher.dispatch(first.clone()).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while env.metric(&delivered) < 1.0 {
        assert!(tokio::time::Instant::now() < deadline, "delivered in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let client = db().await;
    let terminated: i64 = client
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = $1",
            &[&format!("falconer:{name}")],
        )
        .await
        .expect("pg_terminate_backend")
        .get(0);
    assert_eq!(terminated, 1, "the pool holds one connection");

    let second = alert(SHELL_ALERT, 2, &global);
    env.dispatcher.dispatch(second.clone()).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(env.metric(&delivered), 2.0);
    assert!(env.dead_letters().is_empty());
    assert_eq!(
        read(&client, &t).await,
        vec![expected(&first, None), expected(&second, Some("default"))]
    );
    client
        .batch_execute(&format!("DROP TABLE {t}"))
        .await
        .expect("cleanup");
}
