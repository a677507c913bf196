//! The UI in a real browser: headless Chromium driven over WebDriver (chromedriver, started
//! here). Logs in, sends the seed scenario alert through the `webui` output into the store,
//! sees it on the dashboard and in the events table, filters by priority, opens the detail
//! view, and saves screenshots under `$CARGO_TARGET_TMPDIR/webui-browser/`.
//!
//! Needs Debian's `chromium` and `chromium-driver`: without them the test FAILS (CI installs
//! them; `apt-get install chromium chromium-driver`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use falconer_config::GlobalSettings;
use falconer_testkit::{DeliveryHarness, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT};
use falconer_webui::{serve, shared_store, Settings, StoreKind, UiInfo, UiState};
use fantoccini::{elements::Element, Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

const PASSWORD: &str = "falco-rocks";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver, stopped (by its own PID) when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_driver() -> (Driver, u16) {
    for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
        assert!(
            Path::new(path).exists(),
            "{path} is missing: the browser test needs Debian's `{package}` package \
             (apt-get install chromium chromium-driver)"
        );
    }
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (driver, port)
}

async fn browser(port: u16, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-dev-shm-usage", "--window-size=1440,1000",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a Chromium session through chromedriver")
}

/// The seed alert (and two others), timed now so the default window shows them.
fn alerts() -> Vec<std::sync::Arc<falconer_event::Alert>> {
    let now = chrono_now();
    let mut out = Vec::new();
    for (n, template, priority) in [
        (1u128, SHELL_ALERT, None),
        (2, SHELL_ALERT, Some("Critical")),
        (3, CONFIGMAP_ALERT, None),
    ] {
        let mut v: Value = serde_json::from_str(template).expect("sample");
        v["time"] = json!(now);
        if let Some(p) = priority {
            v["priority"] = json!(p);
            v["rule"] = json!("Write below etc");
            v["output"] = json!("File below /etc opened for writing (user=root file=/etc/shadow)");
        }
        out.push(falconer_testkit::enriched(&v.to_string(), n));
    }
    out
}

fn chrono_now() -> String {
    // RFC 3339 from the system clock, without another dependency.
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock");
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, dd) = civil(days);
    format!(
        "{y:04}-{m:02}-{dd:02}T{:02}:{:02}:{:02}.{:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_nanos()
    )
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// 240 alerts over the last 23 hours: a few rules, priorities, hosts and sources.
fn busy_day() -> Vec<std::sync::Arc<falconer_event::Alert>> {
    let rules = [
        (
            "Terminal shell in container",
            "Notice",
            "syscalls",
            &["container", "shell", "mitre_execution"][..],
        ),
        (
            "Write below etc",
            "Error",
            "syscalls",
            &["filesystem", "mitre_persistence"][..],
        ),
        (
            "Read sensitive file untrusted",
            "Warning",
            "syscalls",
            &["filesystem", "mitre_credential_access"][..],
        ),
        (
            "Create/Modify Configmap With Private Credentials",
            "Warning",
            "k8s_audit",
            &["k8s"][..],
        ),
        (
            "Contact K8S API Server From Container",
            "Notice",
            "syscalls",
            &["k8s", "network"][..],
        ),
        (
            "Drop and execute new binary in container",
            "Critical",
            "syscalls",
            &["container", "mitre_persistence"][..],
        ),
        ("Debug rule", "Debug", "syscalls", &[][..]),
        (
            "Packet socket created in container",
            "Informational",
            "syscalls",
            &["network"][..],
        ),
    ];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    (0..240u64)
        .map(|i| {
            // Skewed: more events recently, rules weighted towards the first ones.
            let (rule, priority, source, tags) = rules[((i * i) % 61 % 8) as usize];
            let age = ((i * 7919) % 82_800) as i64 / (1 + (i % 3) as i64);
            let host = format!("node-{}", i % 5 + 1);
            let v = json!({
                "output": format!("{rule} (user=root proc=sh{i} host={host})"),
                "priority": priority,
                "rule": rule,
                "time": rfc3339(now - age),
                "source": source,
                "hostname": host,
                "tags": tags,
                "output_fields": {"proc.name": format!("sh{i}"), "user.name": "root"},
            });
            falconer_testkit::enriched(&v.to_string(), 1000 + u128::from(i))
        })
        .collect()
}

fn rfc3339(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

async fn text(c: &Client, css: &str) -> String {
    find(c, css).await.text().await.expect("element text")
}

async fn find(c: &Client, css: &str) -> Element {
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} not found: {e}"))
}

async fn screenshot(c: &Client, dir: &Path, name: &str) -> PathBuf {
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let path = dir.join(name);
    std::fs::write(&path, png).expect("write screenshot");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_dashboard_events_filter_detail() {
    let (_driver, driver_port) = start_driver();
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("webui-browser");
    std::fs::create_dir_all(&out).expect("output folder");
    let dir = tempfile::tempdir().expect("tempdir");

    // The UI under a base path, with one user.
    let hash = bcrypt::hash(PASSWORD, 4).expect("hash");
    let mut ui: Settings = serde_json::from_value(json!({
        "basepath": "/falconer",
        "auth": {"users": [{"username": "admin", "password": hash}]},
    }))
    .expect("ui settings");
    ui.store.kind = StoreKind::Sqlite;
    ui.store.path = dir.path().join("webui.sqlite").display().to_string();
    let store = shared_store(&ui.store).await.expect("store");
    let info = UiInfo {
        version: "test".into(),
        outputs: vec!["ui".into()],
        ..UiInfo::default()
    };
    let state = UiState::new(&ui, store, info).expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/falconer", listener.local_addr().expect("addr"));
    let stop = CancellationToken::new();
    tokio::spawn(serve(listener, state, stop.clone()));

    // The `webui` output writes to the same store (the registry hands out one handle).
    let store_json = json!({"path": ui.store.path});
    let h = DeliveryHarness::start(
        vec![UnderTest::new(
            falconer_output_webui::KIND,
            "ui",
            json!({"store": store_json}),
        )],
        GlobalSettings::default(),
    )
    .await;

    let profile = tempfile::tempdir().expect("profile dir");
    let c = browser(driver_port, profile.path()).await;

    // Log in (a wrong password first).
    c.goto(&format!("{base}/")).await.expect("open");
    assert!(c
        .current_url()
        .await
        .expect("url")
        .path()
        .ends_with("/falconer/login"));
    find(&c, "#username")
        .await
        .send_keys("admin")
        .await
        .expect("type");
    find(&c, "#password")
        .await
        .send_keys("nope")
        .await
        .expect("type");
    find(&c, "#login").await.click().await.expect("submit");
    assert_eq!(text(&c, ".error").await, "Wrong username or password.");
    find(&c, "#username")
        .await
        .send_keys("admin")
        .await
        .expect("type");
    find(&c, "#password")
        .await
        .send_keys(PASSWORD)
        .await
        .expect("type");
    find(&c, "#login").await.click().await.expect("submit");
    find(&c, "#timeline").await;
    assert_eq!(text(&c, "#total").await, "0");

    // The seed scenario alert (and two more) through the webui output.
    for a in alerts() {
        h.dispatcher.dispatch(a).await;
    }
    let report = h.dispatcher.shutdown(Duration::from_secs(20)).await;
    assert!(report.undelivered.is_empty(), "{:?}", report.undelivered);

    c.goto(&format!("{base}/?since=1h&refresh=30"))
        .await
        .expect("dashboard");
    assert_eq!(text(&c, "#total").await, "3");
    let rules = text(&c, "#rules").await;
    assert!(
        rules.contains("Create/Modify Configmap With Private Credentials"),
        "{rules}"
    );
    let priorities = text(&c, "#priorities").await;
    for p in ["Critical", "Warning", "Notice"] {
        assert!(priorities.contains(p), "{priorities}");
    }
    assert_eq!(
        c.find_all(Locator::Css("#timeline svg rect"))
            .await
            .expect("bars")
            .len(),
        3,
        "one bar segment per priority in the current bucket"
    );
    let dashboard = screenshot(&c, &out, "dashboard.png").await;

    // Events table, then filter by priority with the form.
    find(&c, "header nav a[href='/falconer/events']")
        .await
        .click()
        .await
        .expect("events tab");
    find(&c, "#events").await;
    assert_eq!(text(&c, "#matching").await, "3 events");
    let table = text(&c, "#events").await;
    assert!(
        table.contains("aws-creds") && table.contains("minikube"),
        "{table}"
    );
    find(&c, "select[name='priority']")
        .await
        .select_by_value("Warning")
        .await
        .expect("select Warning");
    find(&c, ".filters button[type='submit']")
        .await
        .click()
        .await
        .expect("apply");
    find(&c, "#events").await;
    let url = c.current_url().await.expect("url");
    assert!(
        url.query().unwrap_or("").contains("priority=Warning"),
        "{url}"
    );
    assert_eq!(text(&c, "#matching").await, "1 events");
    let table = text(&c, "#events tbody").await;
    assert!(
        table.contains("Create/Modify Configmap With Private Credentials"),
        "{table}"
    );
    assert!(
        !table.contains("Write below etc") && !table.contains("shell"),
        "{table}"
    );
    let events = screenshot(&c, &out, "events.png").await;

    // The detail view.
    find(&c, "#events a.detail")
        .await
        .click()
        .await
        .expect("details");
    let json_text = text(&c, "#json").await;
    assert!(
        json_text.contains("\"ka.req.configmap.name\": \"aws-creds\""),
        "{json_text}"
    );
    let fields = text(&c, "#fields").await;
    assert!(
        fields.contains("ka.user.name") && fields.contains("minikube-user"),
        "{fields}"
    );
    screenshot(&c, &out, "detail.png").await;

    // A busier day, for the documentation screenshots.
    let store = shared_store(&ui.store).await.expect("store");
    store.insert(&busy_day()).await.expect("insert");
    c.goto(&format!("{base}/?since=24h"))
        .await
        .expect("dashboard");
    assert_eq!(text(&c, "#total").await, "243");
    screenshot(&c, &out, "dashboard-busy.png").await;
    c.goto(&format!("{base}/events?since=24h&limit=10"))
        .await
        .expect("events");
    assert_eq!(text(&c, "#matching").await, "243 events");
    assert_eq!(text(&c, "#page").await, "Page 1 of 25");
    screenshot(&c, &out, "events-busy.png").await;

    // Logging out ends the session.
    find(&c, ".who button").await.click().await.expect("logout");
    find(&c, "#login").await;
    c.goto(&format!("{base}/events")).await.expect("events");
    assert!(c
        .current_url()
        .await
        .expect("url")
        .path()
        .ends_with("/falconer/login"));

    c.close().await.expect("close the browser");
    stop.cancel();
    eprintln!("screenshots: {} {}", dashboard.display(), events.display());
}
