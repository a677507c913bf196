//! The UI in a real browser: headless Chromium driven over WebDriver (chromedriver, started
//! here, the browser in a time zone east of UTC). Logs in, sends the seed scenario alert
//! through the `webui` output into the store, sees it on the dashboard (counters in severity
//! order, timelines by priority and by source) and in the events table, filters with the
//! multi-select, a field chip and from/to in local time, opens the detail view (copy
//! button), the Info page, then checks every page at a phone's width (390 px): no sideways
//! scrolling, the header fits, events as cards, filters folded. Screenshots go under
//! `$CARGO_TARGET_TMPDIR/webui-browser/`, and with `FALCONER_SCREENSHOTS=docs` the
//! documentation's into `docs/`.
//!
//! Needs Debian's `chromium` and `chromium-driver`: without them the test FAILS (CI installs
//! them; `apt-get install chromium chromium-driver`).

#[path = "browser/support.rs"]
mod support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use falconer_config::GlobalSettings;
use falconer_testkit::{DeliveryHarness, UnderTest};
use falconer_webui::{RuntimeInfo, Settings, StoreKind, Stores, UiInfo, UiState};
use fantoccini::Locator;
use serde_json::json;
use support::*;
use tokio_util::sync::CancellationToken;

const PASSWORD: &str = "falco-rocks";

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
    let stores = Stores::new(ui.store.clone());
    let store = stores.shared(&ui.store).await.expect("store");
    let info = UiInfo {
        version: "test".into(),
        outputs: vec!["ui".into()],
        config: json!({"ui": ui.masked()}),
        runtime: Some(Arc::new(TwoOutputs) as Arc<dyn RuntimeInfo>),
        ..UiInfo::default()
    };
    let state = UiState::new(&ui, store, info).expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/falconer", listener.local_addr().expect("addr"));
    let stop = CancellationToken::new();
    tokio::spawn(falconer_webui::serve_with_defaults(
        listener,
        state,
        stop.clone(),
    ));

    // The `webui` output writes to the same store (the registry hands out one handle).
    let store_json = json!({"path": ui.store.path});
    let h = DeliveryHarness::start_with_resources(
        vec![UnderTest::new(
            falconer_output_webui::KIND,
            "ui",
            json!({"store": store_json}),
        )],
        GlobalSettings::default(),
        falconer_core::Resources::default().with(stores.clone()),
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
    // Counters: every priority, most severe first.
    let chips = eval(
        &c,
        "Array.from(document.querySelectorAll('#counters .chip')).map(e => e.textContent.trim())",
    )
    .await;
    assert_eq!(
        chips,
        json!([
            "Total 3",
            "Emergency 0",
            "Alert 0",
            "Critical 1",
            "Error 0",
            "Warning 1",
            "Notice 1",
            "Informational 0",
            "Debug 0"
        ])
    );
    // The timeline by source: both sources in the current bucket.
    assert_eq!(
        c.find_all(Locator::Css("#timeline-source svg rect"))
            .await
            .expect("bars")
            .len(),
        2
    );
    let legend = text(&c, "#timeline-source .legend").await;
    assert!(
        legend.contains("k8s_audit") && legend.contains("syscall"),
        "{legend}"
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
    // Times in the browser's zone (the script), the header says which.
    assert_eq!(text(&c, "#events th .tz").await, "(UTC+05:30)");
    let shown = text(&c, "#events time").await;
    let utc = eval(&c, "document.querySelector('#events time').title").await;
    assert_ne!(
        Some(format!("{shown} UTC").as_str()),
        utc.as_str(),
        "converted"
    );
    // The priority multi-select: open it, tick Warning.
    find(&c, "#f-priority summary")
        .await
        .click()
        .await
        .expect("open the priority menu");
    find(&c, "#f-priority input[value='Warning']")
        .await
        .click()
        .await
        .expect("tick Warning");
    find(&c, "#f-priority button.apply")
        .await
        .click()
        .await
        .expect("apply");
    let url = url_with(&c, "priority=Warning").await;
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

    // Tick Critical too: both priorities.
    find(&c, "#f-priority summary")
        .await
        .click()
        .await
        .expect("open the priority menu");
    find(&c, "#f-priority input[value='Critical']")
        .await
        .click()
        .await
        .expect("tick Critical");
    find(&c, "#f-priority button.apply")
        .await
        .click()
        .await
        .expect("apply");
    url_with(&c, "priority=Critical").await;
    assert_eq!(text(&c, "#matching").await, "2 events");
    assert_eq!(
        text(&c, "#f-priority summary .v").await,
        "Critical, Warning"
    );

    // An output-field chip adds `key=value` to the search.
    c.goto(&format!("{base}/events?since=1h"))
        .await
        .expect("events");
    let chip = find(&c, "#events a.field").await;
    let term = chip
        .attr("title")
        .await
        .expect("title")
        .expect("a chip title")
        .trim_start_matches("search ")
        .to_owned();
    chip.click().await.expect("click the chip");
    url_with(&c, "filter=").await;
    let searched = eval(&c, "document.querySelector('input[name=filter]').value").await;
    assert_eq!(searched.as_str(), Some(term.as_str()));
    let n: u64 = text(&c, "#matching b").await.parse().expect("a count");
    assert!((1..3).contains(&n), "{term}: {n} events");

    // From/to: the URL holds UTC, the inputs show local time, and Apply sends UTC back.
    c.goto(&format!("{base}/events?from=2026-01-02T03:04&since="))
        .await
        .expect("events from");
    let from = eval(&c, "document.querySelector('input[name=from]').value").await;
    assert_eq!(from.as_str(), Some("2026-01-02T08:34"), "UTC+05:30");
    assert_eq!(text(&c, "label .tz").await, "(UTC+05:30)");
    find(&c, ".filters .actions button[type='submit']")
        .await
        .click()
        .await
        .expect("apply");
    let url = url_with(&c, "from=2026-01-02T03%3A04%3A00Z").await;
    assert!(
        url.query()
            .unwrap_or("")
            .contains("from=2026-01-02T03%3A04%3A00Z"),
        "{url}"
    );
    assert_eq!(text(&c, "#matching").await, "3 events");

    // Auto-refresh on the events page.
    c.goto(&format!("{base}/events?since=1h&refresh=30"))
        .await
        .expect("events");
    let refresh = eval(
        &c,
        "document.querySelector('meta[http-equiv=refresh]').getAttribute('content')",
    )
    .await;
    assert_eq!(refresh, json!("30"));
    assert_eq!(text(&c, "#refreshing").await, "· refreshes every 30s");

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
    // The script shows the copy button (hidden without it).
    assert!(find(&c, "#copy-json")
        .await
        .is_displayed()
        .await
        .expect("displayed?"));
    screenshot(&c, &out, "detail.png").await;

    // A busier day, for the documentation screenshots.
    let store = stores.shared(&ui.store).await.expect("store");
    store.insert(&busy_day()).await.expect("insert");
    c.goto(&format!("{base}/?since=24h"))
        .await
        .expect("dashboard");
    assert_eq!(text(&c, "#total").await, "243");
    shot(&c, &out, "dashboard-busy.png", Some("webui-dashboard.png")).await;
    c.goto(&format!("{base}/events?since=24h&limit=10"))
        .await
        .expect("events");
    assert_eq!(text(&c, "#matching").await, "243 events");
    assert_eq!(text(&c, "#page").await, "Page 1 of 25");
    shot(&c, &out, "events-busy.png", Some("webui-events.png")).await;

    // The Info page: version, outputs with their state, routes, silences, configuration.
    find(&c, "header nav a[href='/falconer/info']")
        .await
        .click()
        .await
        .expect("info tab");
    let outputs = text(&c, "#outputs").await;
    assert!(
        outputs.contains("slack-oncall") && outputs.contains("breaker open"),
        "{outputs}"
    );
    let routes = text(&c, "#routes").await;
    assert!(routes.contains("priority <= critical"), "{routes}");
    assert!(text(&c, "#configuration").await.contains("basepath"));
    shot(&c, &out, "info.png", Some("webui-info.png")).await;

    // A phone: 390 px wide. No page scrolls sideways; the header and its Log out fit.
    c.set_window_size(390, 844).await.expect("phone size");
    let mut phone = Vec::new();
    for (page, name, doc) in [
        (
            "/?since=24h",
            "dashboard-phone.png",
            "webui-dashboard-phone.png",
        ),
        (
            "/events?since=24h&limit=10",
            "events-phone.png",
            "webui-events-phone.png",
        ),
        ("/info", "info-phone.png", "webui-info-phone.png"),
    ] {
        c.goto(&format!("{base}{page}")).await.expect("page");
        find(&c, "main").await;
        let (scroll, client) = overflow_x(&c).await;
        assert_eq!(client, 390, "{page}: the viewport is a phone's");
        assert!(scroll <= 390, "{page}: {scroll} px wide");
        let logout = eval(
            &c,
            "document.querySelector('.who button').getBoundingClientRect().right",
        )
        .await;
        assert!(
            logout.as_f64().expect("px") <= 390.0,
            "{page}: Log out at {logout}"
        );
        phone.push(shot(&c, &out, name, Some(doc)).await);
    }
    // Events are cards there (no table header), each as wide as the screen; the filters
    // are folded until opened.
    c.goto(&format!("{base}/events?since=24h&limit=10"))
        .await
        .expect("events");
    find(&c, "#events").await;
    assert_eq!(
        eval(
            &c,
            "getComputedStyle(document.querySelector('#events thead')).display"
        )
        .await,
        json!("none")
    );
    let card = eval(
        &c,
        "document.querySelector('#events tbody tr').getBoundingClientRect().width",
    )
    .await
    .as_f64()
    .expect("px");
    assert!((300.0..=390.0).contains(&card), "card {card} px");
    let output = eval(
        &c,
        "document.querySelector('#events td.output').getBoundingClientRect().width",
    )
    .await
    .as_f64()
    .expect("px");
    assert!(
        output > 250.0,
        "the output gets the card's width: {output} px"
    );
    assert_eq!(
        eval(&c, "document.getElementById('filterbox').open").await,
        json!(false)
    );
    find(&c, "#filterbox > summary")
        .await
        .click()
        .await
        .expect("unfold");
    assert_eq!(
        eval(&c, "document.getElementById('filterbox').open").await,
        json!(true)
    );
    let (scroll, _) = overflow_x(&c).await;
    assert!(scroll <= 390, "unfolded filters: {scroll} px wide");
    c.set_window_size(1440, 1000).await.expect("desktop size");

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
    eprintln!(
        "screenshots: {} {} {:?}",
        dashboard.display(),
        events.display(),
        phone
    );
}
