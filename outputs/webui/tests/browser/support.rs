//! Helpers of the browser test: chromedriver and a Chromium session, the alerts it stores,
//! element lookups and screenshots.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use falconer_testkit::{CONFIGMAP_ALERT, SHELL_ALERT};
use fantoccini::{elements::Element, Client, ClientBuilder, Locator};
use serde_json::{json, Value};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The time zone the browser runs in: local times on the pages must differ from UTC (no
/// daylight saving, so the offset is fixed).
pub const BROWSER_TZ: &str = "Asia/Kolkata";

/// chromedriver, stopped (by its own PID) when dropped.
pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub fn start_driver() -> (Driver, u16) {
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
        .env("TZ", BROWSER_TZ)
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

pub async fn browser(port: u16, profile: &Path) -> Client {
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
                // Phones overlay their scrollbars: the layout gets the full width.
                "--hide-scrollbars",
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
pub fn alerts() -> Vec<std::sync::Arc<falconer_event::Alert>> {
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

pub fn chrono_now() -> String {
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
pub fn civil(z: i64) -> (i64, u32, u32) {
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
pub fn busy_day() -> Vec<std::sync::Arc<falconer_event::Alert>> {
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

pub fn rfc3339(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The text of the element `css` selects. A page that is replaced meanwhile (a navigation,
/// the events page's refresh) leaves a stale element: it is looked up again.
pub async fn text(c: &Client, css: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match find(c, css).await.text().await {
            Ok(text) => return text,
            Err(e)
                if Instant::now() < deadline
                    && format!("{e:?}").contains("StaleElementReference") =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("element text of {css}: {e}"),
        }
    }
}

pub async fn find(c: &Client, css: &str) -> Element {
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} not found: {e}"))
}

/// The page's URL once its query holds `part` (a submitted form navigates after the click
/// returns), or as it is after 15 s.
pub async fn url_with(c: &Client, part: &str) -> reqwest::Url {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let url = c.current_url().await.expect("url");
        if url.query().unwrap_or("").contains(part) || Instant::now() >= deadline {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn screenshot(c: &Client, dir: &Path, name: &str) -> PathBuf {
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let path = dir.join(name);
    std::fs::write(&path, png).expect("write screenshot");
    path
}

/// Where the documentation's screenshots go: `FALCONER_SCREENSHOTS` (a folder; relative to
/// the workspace, so `FALCONER_SCREENSHOTS=docs` writes `docs/webui-*.png`), else nowhere.
pub fn docs_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FALCONER_SCREENSHOTS").filter(|d| !d.is_empty())?;
    let dir = PathBuf::from(dir);
    Some(if dir.is_absolute() {
        dir
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(dir)
    })
}

/// A screenshot saved under `dir` as `name`, and as `docs/<doc>` too when
/// [`docs_dir`] is set.
pub async fn shot(c: &Client, dir: &Path, name: &str, doc: Option<&str>) -> PathBuf {
    let path = screenshot(c, dir, name).await;
    if let (Some(docs), Some(doc)) = (docs_dir(), doc) {
        std::fs::create_dir_all(&docs).expect("screenshot folder");
        std::fs::copy(&path, docs.join(doc)).expect("copy the screenshot to the docs");
    }
    path
}

/// The value of a JavaScript expression.
pub async fn eval(c: &Client, expr: &str) -> Value {
    c.execute(&format!("return ({expr});"), vec![])
        .await
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
}

/// What the page would scroll sideways: the document's width beyond the viewport's.
pub async fn overflow_x(c: &Client) -> (i64, i64) {
    let v = eval(
        c,
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]",
    )
    .await;
    (
        v[0].as_i64().expect("scrollWidth"),
        v[1].as_i64().expect("clientWidth"),
    )
}

/// The Info page's view of a process with two outputs, one of them failing (a test
/// stand-in for the binary's, which reads the dispatcher's metrics).
#[derive(Debug)]
pub struct TwoOutputs;

impl falconer_webui::RuntimeInfo for TwoOutputs {
    fn status(&self) -> falconer_webui::RuntimeStatus {
        use falconer_webui::{ConfigSilence, OutputStatus, RouteStatus, RuntimeStatus};
        RuntimeStatus {
            outputs: vec![
                OutputStatus {
                    name: "ui".into(),
                    kind: "webui".into(),
                    running: Some(true),
                    breaker: Some("closed".into()),
                    queue_depth: Some(0),
                    in_flight: Some(0),
                    spool_bytes: Some(0),
                    delivered: Some(243),
                    failed: Some(0),
                    dropped: Some(0),
                },
                OutputStatus {
                    name: "slack-oncall".into(),
                    kind: "slack".into(),
                    running: Some(true),
                    breaker: Some("open".into()),
                    queue_depth: Some(37),
                    in_flight: Some(0),
                    spool_bytes: Some(0),
                    delivered: Some(12),
                    failed: Some(3),
                    dropped: Some(0),
                },
            ],
            routes: vec![
                RouteStatus {
                    condition: "priority <= critical".into(),
                    outputs: vec!["slack-oncall".into()],
                    continue_matching: true,
                    noise: vec!["throttle: 5 per 10m".into()],
                },
                RouteStatus {
                    condition: String::new(),
                    outputs: vec!["ui".into()],
                    continue_matching: false,
                    noise: Vec::new(),
                },
            ],
            default_route: vec!["ui".into()],
            silences: vec![ConfigSilence {
                condition: "rule = \"Debug rule\"".into(),
                ends_at: "2030-01-01T00:00:00Z".into(),
                created_by: "gitops".into(),
                comment: "noisy in staging".into(),
                ..ConfigSilence::default()
            }],
        }
    }
}
