//! Test harness: a UI server on a loopback port over a real store (a SQLite file in a
//! temporary folder, or a fresh table in the running PostgreSQL).

#![allow(dead_code)]

use std::sync::Arc;

use falconer_event::Alert;
use falconer_webui::{open_store, Settings, Store, StoreKind, StoreSettings, UiInfo, UiState};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL of the tests (`FALCONER_TEST_PG_DSN`, default the local server with
/// trust auth, database `test`).
pub fn pg_dsn() -> String {
    std::env::var("FALCONER_TEST_PG_DSN")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".into())
}

pub const PASSWORD: &str = "correct horse";

/// A bcrypt hash of [`PASSWORD`] at the lowest cost (argon2 is covered by unit tests; a
/// debug build hashes it slowly).
pub fn test_hash() -> String {
    bcrypt::hash(PASSWORD, 4).expect("bcrypt hash")
}

pub struct Ui {
    pub base_url: String,
    pub store: Store,
    pub settings: StoreSettings,
    stop: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Ui {
    /// Drops the PostgreSQL test table (SQLite files go with the temporary folder).
    pub async fn cleanup(self) {
        if self.settings.kind == StoreKind::Postgres {
            let (client, conn) = tokio_postgres::connect(&pg_dsn(), tokio_postgres::NoTls)
                .await
                .expect("connect for cleanup");
            tokio::spawn(conn);
            client
                .batch_execute(&format!(
                    "DROP TABLE IF EXISTS {t}; DROP TABLE IF EXISTS {t}_dropped; DROP TABLE IF EXISTS {t}_silences; DROP TABLE IF EXISTS {t}_dims; DROP TABLE IF EXISTS {t}_series; DROP TABLE IF EXISTS {t}_agg; DROP TABLE IF EXISTS {t}_agg_host; DROP TABLE IF EXISTS {t}_zdict",
                    t = self.settings.table
                ))
                .await
                .expect("drop test tables");
        }
    }
}

impl Drop for Ui {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

pub fn store_settings(backend: Backend, dir: &std::path::Path) -> StoreSettings {
    let mut s = StoreSettings::default();
    match backend {
        Backend::Sqlite => {
            s.kind = StoreKind::Sqlite;
            s.path = dir.join("webui.sqlite").display().to_string();
        }
        Backend::Postgres => {
            s.kind = StoreKind::Postgres;
            s.dsn = falconer_config::Secret::new(pg_dsn());
            s.table = format!("webui_test_{}", uuid::Uuid::new_v4().simple());
        }
    }
    s
}

/// Starts a UI. `ui` is the `ui:` block as JSON (its `store` is replaced by the test's).
pub async fn start(backend: Backend, ui: Value) -> Ui {
    start_with_runtime(backend, ui, None).await
}

/// [`start`], the Info page fed by `runtime`.
pub async fn start_with_runtime(
    backend: Backend,
    ui: Value,
    runtime: Option<Arc<dyn falconer_webui::RuntimeInfo>>,
) -> Ui {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings: Settings = serde_json::from_value(ui).expect("valid ui block");
    settings.store = store_settings(backend, dir.path());
    let problems = settings.validate();
    assert!(problems.is_empty(), "{problems:?}");
    let store = open_store(&settings.store).await.unwrap_or_else(|e| {
        panic!("cannot open the {backend:?} store (is PostgreSQL running on 127.0.0.1:5432?): {e}")
    });
    let info = UiInfo {
        version: "1.2.3".into(),
        commit: "abc123".into(),
        outputs: vec!["webui".into(), "slack".into()],
        config: json!({"ui": settings.masked()}),
        runtime,
    };
    let state = UiState::new(&settings, store.clone(), info).expect("state");
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
    Ui {
        base_url: format!("http://{addr}"),
        store,
        settings: settings.store.clone(),
        stop,
        _dir: dir,
    }
}

/// A UI with one user `admin` / [`PASSWORD`].
pub async fn start_with_user(backend: Backend) -> Ui {
    start(
        backend,
        json!({"auth": {"users": [{"username": "admin", "password": test_hash()}]}}),
    )
    .await
}

/// A client that does not follow redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A Falco alert with the given parts, its time `age_s` seconds ago, UUID number `n`.
pub fn alert(
    n: u128,
    priority: &str,
    rule: &str,
    host: &str,
    tags: &[&str],
    age_s: i64,
) -> Arc<Alert> {
    let time = chrono::Utc::now() - chrono::Duration::seconds(age_s);
    let json = json!({
        "output": format!("{} {priority} {rule} on {host} (proc=cat{n})", time.format("%H:%M:%S%.9f:")),
        "priority": priority,
        "rule": rule,
        "time": time.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        "source": if tags.contains(&"k8s") { "k8s_audit" } else { "syscalls" },
        "hostname": host,
        "tags": tags,
        "output_fields": {"proc.name": format!("cat{n}"), "evt.num": n as u64},
    });
    falconer_testkit::enriched(&json.to_string(), n)
}

/// Six alerts: priorities Critical ×2, Warning ×2, Notice, Debug; three hosts; ages from
/// 10 s to 3 days.
pub fn sample() -> Vec<Arc<Alert>> {
    vec![
        alert(
            1,
            "Critical",
            "Write below etc",
            "node-1",
            &["filesystem", "mitre_persistence"],
            10,
        ),
        alert(
            2,
            "Warning",
            "Terminal shell in container",
            "node-2",
            &["container", "shell"],
            60,
        ),
        alert(
            3,
            "Warning",
            "Terminal shell in container",
            "node-1",
            &["container", "shell"],
            120,
        ),
        alert(
            4,
            "Notice",
            "Contact K8S API Server From Container",
            "node-3",
            &["k8s", "network"],
            7200,
        ),
        alert(
            5,
            "Critical",
            "Write below etc",
            "node-2",
            &["filesystem"],
            86_400 + 60,
        ),
        alert(6, "Debug", "Debug rule", "node-3", &[], 3 * 86_400),
    ]
}

/// The UUIDs of a search answer, in order.
pub fn uuids(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .expect("results array")
        .iter()
        .map(|e| e["uuid"].as_str().expect("uuid").to_owned())
        .collect()
}

/// The UUID the testkit gives alert number `n`.
pub fn uuid_of(n: u128) -> String {
    uuid::Uuid::from_u128(n).to_string()
}
