//! Issue 16: the password check cannot be used to exhaust memory (bounded concurrent
//! checks, backoff, no password in logs), cross-site writes are refused, the session cookie
//! is `SameSite=Lax`, and alerts the store missed are shown (API field and banner).
//!
//! The server here records the client address (`ConnectInfo`), as the binary's does.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use falconer_metrics::{UiAuthFailure, UiAuthRefusal, UiMetrics};
use falconer_webui::{
    open_store, router, DropCount, Settings, Store, StoreKind, StoreSettings, UiInfo, UiState,
};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse";

struct Ui {
    url: String,
    store: Store,
    metrics: UiMetrics,
    settings: StoreSettings,
    server: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Drop for Ui {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn pg_dsn() -> String {
    std::env::var("FALCONER_TEST_PG_DSN")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".into())
}

/// A UI over SQLite (or PostgreSQL) with user `admin` (bcrypt of [`PASSWORD`] at `cost`) and
/// the rest of the `ui:` block from `extra`.
async fn start(postgres: bool, cost: u32, extra: Value) -> Ui {
    install_log_capture();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut block = json!({"auth": {"users": [
        {"username": "admin", "password": bcrypt::hash(PASSWORD, cost).expect("hash")}
    ]}});
    merge(&mut block, extra);
    let mut settings: Settings = serde_json::from_value(block).expect("valid ui block");
    if postgres {
        settings.store.kind = StoreKind::Postgres;
        settings.store.dsn = falconer_config::Secret::new(pg_dsn());
        settings.store.table = format!("webui_hard_{}", uuid::Uuid::new_v4().simple());
    } else {
        settings.store.path = dir.path().join("webui.sqlite").display().to_string();
    }
    let problems = settings.validate();
    assert!(problems.is_empty(), "{problems:?}");
    let store = open_store(&settings.store).await.expect("store");
    let (registry, _) = falconer_metrics::Metrics::new(&[]).expect("metrics");
    let metrics = registry.ui().expect("UI metrics");
    let state = UiState::with_metrics(&settings, store.clone(), UiInfo::default(), metrics.clone())
        .expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ui {
        url: format!("http://{addr}"),
        store,
        metrics,
        settings: settings.store.clone(),
        server,
        _dir: dir,
    }
}

impl Ui {
    async fn cleanup(self) {
        if self.settings.kind == StoreKind::Postgres {
            let (client, conn) = tokio_postgres::connect(&pg_dsn(), tokio_postgres::NoTls)
                .await
                .expect("connect for cleanup");
            tokio::spawn(conn);
            let t = &self.settings.table;
            client
                .batch_execute(&format!(
                    "DROP TABLE IF EXISTS {t}; DROP TABLE IF EXISTS {t}_dropped; DROP TABLE IF EXISTS {t}_silences; DROP TABLE IF EXISTS {t}_dims; DROP TABLE IF EXISTS {t}_series; DROP TABLE IF EXISTS {t}_agg; DROP TABLE IF EXISTS {t}_agg_host; DROP TABLE IF EXISTS {t}_zdict"
                ))
                .await
                .expect("drop test tables");
        }
    }
}

fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(Value::Null), v);
            }
        }
        (slot, v) => *slot = v,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn add_body(uuid: &str) -> String {
    let mut event: Value = serde_json::from_str(falconer_testkit::CONFIGMAP_ALERT).expect("seed");
    event["uuid"] = json!(uuid);
    event["priority"] = json!("Critical");
    event["rule"] = json!("Forged by another site");
    json!({"event": event, "outputs": []}).to_string()
}

async fn count_all(ui: &Ui) -> u64 {
    let q = falconer_webui::query::RawQuery::default()
        .resolve(0)
        .expect("query");
    ui.store.count(&q).await.expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_beyond_maxverifications_get_429_without_hashing() {
    // A slow hash, so the first check is still running when the others arrive.
    let ui = start(false, 10, json!({"auth": {"maxverifications": 1}})).await;
    let started = Instant::now();
    let c = client();
    let requests = (0..8).map(|i| {
        let c = c.clone();
        let url = format!("{}/api/v1/events/count", ui.url);
        async move {
            let sent = Instant::now();
            let res = c
                .get(url)
                .basic_auth(format!("user{i}"), Some("wrong"))
                .send()
                .await
                .expect("answer");
            let retry = res
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().expect("text").to_owned());
            (res.status().as_u16(), retry, sent.elapsed())
        }
    });
    let answers = futures_util::future::join_all(requests).await;
    let checked: Vec<_> = answers.iter().filter(|a| a.0 == 401).collect();
    let refused: Vec<_> = answers.iter().filter(|a| a.0 == 429).collect();
    println!(
        "maxverifications 1: {} checked, {} refused in {:?}",
        checked.len(),
        refused.len(),
        started.elapsed()
    );
    assert_eq!(checked.len() + refused.len(), 8, "{answers:?}");
    assert!(!checked.is_empty() && !refused.is_empty(), "{answers:?}");
    let slowest_check = checked.iter().map(|a| a.2).max().expect("one check");
    for (_, retry, took) in &refused {
        assert_eq!(retry.as_deref(), Some("1"));
        assert!(
            *took < slowest_check,
            "refused quickly: {took:?} vs {slowest_check:?}"
        );
    }
    assert_eq!(
        ui.metrics.refusals(UiAuthRefusal::Busy),
        refused.len() as u64
    );
    assert_eq!(
        ui.metrics.failures(UiAuthFailure::UnknownUser),
        checked.len() as u64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backoff_after_five_failures_and_a_success_resets_it() {
    let ui = start(false, 4, json!({})).await;
    let c = client();
    let count = format!("{}/api/v1/events/count", ui.url);
    let get = |password: &'static str| {
        let c = c.clone();
        let url = count.clone();
        async move {
            c.get(url)
                .basic_auth("admin", Some(password))
                .send()
                .await
                .expect("answer")
        }
    };
    for i in 0..5 {
        assert_eq!(get("wrong").await.status(), 401, "failure {i}");
    }
    // Locked: even the right password is not checked.
    let locked = get(PASSWORD).await;
    assert_eq!(locked.status(), 429);
    assert_eq!(locked.headers()["retry-after"], "1");
    // The login form is locked too.
    let form = c
        .post(format!("{}/login", ui.url))
        .form(&[("username", "admin"), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(form.status(), 429);
    assert!(form
        .text()
        .await
        .expect("html")
        .contains("Too many sign-in attempts"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(get(PASSWORD).await.status(), 200, "the lock is over");
    // The success reset the count: four more failures do not lock.
    for i in 0..4 {
        assert_eq!(get("wrong").await.status(), 401, "failure {i} after reset");
    }
    assert_eq!(get(PASSWORD).await.status(), 200);
    assert_eq!(ui.metrics.refusals(UiAuthRefusal::Backoff), 2);
    assert_eq!(ui.metrics.failures(UiAuthFailure::BadCredentials), 9);
}

thread_local! {
    /// The log buffer of the test running on this thread, if it captures logs.
    static CAPTURE: std::cell::RefCell<Option<Arc<Mutex<Vec<u8>>>>> =
        const { std::cell::RefCell::new(None) };
}

/// A `tracing` writer into the buffer of the test running on the emitting thread (none: the
/// line is dropped).
struct ThreadCapture;

impl std::io::Write for ThreadCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|c| {
            if let Some(buffer) = c.borrow().as_ref() {
                buffer.lock().expect("buffer").extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One process-wide subscriber, installed before any test's server logs anything: a
/// thread-scoped subscriber (`set_default`) loses events when another test registers the same
/// call site first from a thread without one (its interest is then cached as "never").
fn install_log_capture() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| ThreadCapture)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("first subscriber");
    });
}

/// Captures the log lines emitted on this thread from now on.
fn capture_logs_on_this_thread() -> Arc<Mutex<Vec<u8>>> {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    CAPTURE.with(|c| *c.borrow_mut() = Some(buffer.clone()));
    buffer
}

// One thread: the server's tasks run on the thread whose log lines are captured.
#[tokio::test(flavor = "current_thread")]
async fn failed_attempts_are_logged_with_user_and_client_but_no_password() {
    let ui = start(false, 4, json!({})).await;
    let logs = capture_logs_on_this_thread();
    let secret = "hunter2-NEVER-LOGGED";
    let res = client()
        .get(format!("{}/api/v1/events/count", ui.url))
        .basic_auth("admin", Some(secret))
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status(), 401);
    let res = client()
        .post(format!("{}/login", ui.url))
        .form(&[("username", "mallory"), ("password", secret)])
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status(), 401);
    let text = String::from_utf8(logs.lock().expect("buffer").clone()).expect("utf-8");
    assert!(!text.contains(secret), "{text}");
    let failures: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("web UI sign-in failed"))
        .collect();
    assert_eq!(failures.len(), 2, "{text}");
    assert!(failures.iter().all(|l| l.contains("WARN")), "{text}");
    assert!(
        failures[0].contains("user=admin") && failures[0].contains("client=127.0.0.1"),
        "{text}"
    );
    assert!(
        failures[0].contains("reason=\"bad_credentials\"")
            || failures[0].contains("reason=bad_credentials"),
        "{text}"
    );
    assert!(
        failures[1].contains("user=mallory") && failures[1].contains("unknown_user"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_writes_are_refused_and_store_nothing() {
    let ui = start(
        false,
        4,
        json!({"allowedorigins": ["https://soc.example.com"]}),
    )
    .await;
    let add = format!("{}/api/v1/events/add", ui.url);
    let c = client();
    // What a form on evil.example submits to a browser with cached basic credentials.
    let res = c
        .post(&add)
        .basic_auth("admin", Some(PASSWORD))
        .header("content-type", "text/plain")
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .body(add_body("6f1d2c4e-6a8b-4b9e-9d1a-2b3c4d5e6f71"))
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status(), 403);
    assert!(res.text().await.expect("body").contains("evil.example"));
    // Origin alone, and Sec-Fetch-Site alone, are enough to refuse.
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "null"),
    ] {
        let res = c
            .post(&add)
            .basic_auth("admin", Some(PASSWORD))
            .header("content-type", "application/json")
            .header(name, value)
            .body(add_body("6f1d2c4e-6a8b-4b9e-9d1a-2b3c4d5e6f72"))
            .send()
            .await
            .expect("answer");
        assert_eq!(res.status(), 403, "{name}: {value}");
    }
    // Logging in and out from another site is refused too.
    let res = c
        .post(format!("{}/login", ui.url))
        .header("origin", "https://evil.example")
        .form(&[("username", "admin"), ("password", PASSWORD)])
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status(), 403);
    assert_eq!(count_all(&ui).await, 0, "nothing stored");

    // A non-JSON body without browser headers (curl): 415.
    let res = c
        .post(&add)
        .basic_auth("admin", Some(PASSWORD))
        .header("content-type", "text/plain")
        .body(add_body("6f1d2c4e-6a8b-4b9e-9d1a-2b3c4d5e6f73"))
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status(), 415);
    assert_eq!(count_all(&ui).await, 0, "nothing stored");

    // Same origin (the UI's own page), header-less clients and listed origins write.
    let own = ui.url.clone();
    let cases: [&[(&str, &str)]; 3] = [
        &[("origin", own.as_str()), ("sec-fetch-site", "same-origin")],
        &[],
        &[
            ("origin", "https://soc.example.com"),
            ("sec-fetch-site", "cross-site"),
        ],
    ];
    for (i, headers) in cases.iter().enumerate() {
        let mut req = c
            .post(&add)
            .basic_auth("admin", Some(PASSWORD))
            .header("content-type", "application/json; charset=utf-8");
        for (k, v) in *headers {
            req = req.header(*k, *v);
        }
        let res = req
            .body(add_body(&format!("6f1d2c4e-6a8b-4b9e-9d1a-2b3c4d5e6f8{i}")))
            .send()
            .await
            .expect("answer");
        assert_eq!(res.status(), 200, "{headers:?}");
    }
    assert_eq!(count_all(&ui).await, 3);
    let res = c
        .post(format!("{}/login", ui.url))
        .header("origin", own.as_str())
        .header("sec-fetch-site", "same-origin")
        .form(&[("username", "admin"), ("password", PASSWORD)])
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status(), 303, "the login form keeps its form encoding");
    // Reads are never refused for their origin.
    let res = c
        .get(format!("{}/api/v1/events/count", ui.url))
        .basic_auth("admin", Some(PASSWORD))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_is_samesite_lax() {
    let ui = start(false, 4, json!({})).await;
    let res = client()
        .post(format!("{}/login", ui.url))
        .form(&[("username", "admin"), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 303);
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(cookie.contains("; SameSite=Lax;"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && !cookie.contains("Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().expect("pair").to_owned();
    // A link followed from another site (chat, mail) opens the event page.
    let res = client()
        .get(format!("{}/events", ui.url))
        .header("cookie", &pair)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .expect("events");
    assert_eq!(res.status(), 200);
}

async fn drops_are_shown(postgres: bool) {
    let ui = start(postgres, 4, json!({"auth": {"disabled": true}})).await;
    let now = falconer_webui::query::now_us();
    let minute = falconer_webui::minute_of(now);
    let count = |m: i64, reason: &str, n: u64| DropCount {
        minute_us: m,
        reason: reason.into(),
        count: n,
    };
    ui.store
        .record_drops(&[
            count(minute, "queue_full", 50),
            count(minute - 60_000_000, "queue_full", 30),
            count(minute, "retries_exhausted", 4),
            // Three days ago: outside the shown ranges below.
            count(minute - 3 * 86_400_000_000, "queue_full", 1000),
        ])
        .await
        .expect("record");
    // Another replica adds to the same counts.
    ui.store
        .record_drops(&[
            count(minute, "queue_full", 0),
            count(minute, "retries_exhausted", 1),
        ])
        .await
        .expect("record");
    let get = |path: String| async move {
        let res = client().get(path).send().await.expect("answer");
        assert_eq!(res.status(), 200);
        res.text().await.expect("body")
    };
    let search: Value =
        serde_json::from_str(&get(format!("{}/api/v1/events/search?since=1h", ui.url)).await)
            .expect("json");
    assert_eq!(
        search["dropped"],
        json!({"total": 85, "by_reason": {"queue_full": 80, "retries_exhausted": 5}})
    );
    assert_eq!(search["statistics"]["all"], 0);
    let count_v: Value =
        serde_json::from_str(&get(format!("{}/api/v1/events/count?since=1h", ui.url)).await)
            .expect("json");
    assert_eq!(count_v["dropped"]["total"], 85);
    let all: Value =
        serde_json::from_str(&get(format!("{}/api/v1/events/count", ui.url)).await).expect("json");
    assert_eq!(all["dropped"]["total"], 1085, "all time");
    let past: Value = serde_json::from_str(
        &get(format!(
            "{}/api/v1/events/search?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z",
            ui.url
        ))
        .await,
    )
    .expect("json");
    assert_eq!(past["dropped"], json!({"total": 0, "by_reason": {}}));

    for page in ["/", "/events"] {
        let html = get(format!("{}{page}?since=1h", ui.url)).await;
        assert!(
            html.contains("<b>85 alerts were not stored in this time range</b> (queue full: 80, retries exhausted: 5)"),
            "{page}: {html}"
        );
        assert!(html.contains("sizing the UI store"), "{page}");
        let html = get(format!(
            "{}{page}?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z",
            ui.url
        ))
        .await;
        assert!(
            !html.contains("id=\"dropped\""),
            "{page}: no banner without drops"
        );
    }
    let one = get(format!("{}/?from=2020-01-01T00:00:00Z", ui.url)).await;
    assert!(one.contains("1085 alerts were not stored"), "{one}");
    ui.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drops_are_shown_sqlite() {
    drops_are_shown(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drops_are_shown_postgres() {
    drops_are_shown(true).await;
}
