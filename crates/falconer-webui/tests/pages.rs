//! The pages' controls (issue 21): multi-select filters, output-field chips, auto-refresh,
//! counters in severity order, timelines by priority and by source, expandable top-N lists,
//! the Info page and its JSON, local-time markup, the script and the export's limit headers.

mod common;

use std::sync::Arc;

use common::*;
use falconer_webui::{
    ConfigSilence, OutputStatus, RouteStatus, RuntimeInfo, RuntimeStatus, SilenceRecord,
};
use serde_json::{json, Value};

async fn get(ui: &Ui, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .expect("request")
}

async fn html(ui: &Ui, path: &str) -> String {
    let res = get(ui, path).await;
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.expect("body")
}

/// The UUIDs in an events page, in order.
fn listed(html: &str) -> Vec<String> {
    html.split("href=\"/events/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn multi_select_chips_and_refresh() {
    let ui = start_with_user(Backend::Sqlite).await;
    ui.store.insert(&sample()).await.expect("insert");

    // Checkboxes send the key once per value; the page reads them as one list.
    let page = html(&ui, "/events?priority=Critical&priority=Warning&since=").await;
    assert_eq!(
        listed(&page),
        [uuid_of(1), uuid_of(2), uuid_of(3), uuid_of(5)]
    );
    assert!(
        page.contains("value=\"Critical\" checked"),
        "Critical ticked"
    );
    assert!(page.contains("value=\"Warning\" checked"));
    assert!(!page.contains("value=\"Notice\" checked"));
    assert!(page.contains("<span class=\"v\">Critical, Warning</span>"));
    // The comma form (links, the API's) reads the same.
    let same = html(&ui, "/events?priority=Critical,Warning&since=").await;
    assert_eq!(listed(&same), listed(&page));
    // Several rules at once (the tag and host menus work the same way).
    let rules = html(
        &ui,
        "/events?rule=Debug+rule&rule=Contact+K8S+API+Server+From+Container&since=",
    )
    .await;
    assert_eq!(listed(&rules), [uuid_of(4), uuid_of(6)]);
    assert!(rules.contains("id=\"f-rule\""));

    // Output fields are chips; one adds `key=value` to the search, which finds the event.
    let page = html(&ui, "/events?since=").await;
    assert!(page.contains("<span class=\"fk\">proc.name</span><span class=\"fv\">cat3</span>"));
    let chip = page
        .split("class=\"field\" href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|href| href.contains("filter=proc.name%3Dcat3"))
        .expect("a chip for proc.name=cat3")
        .replace("&amp;", "&");
    let found = html(&ui, &chip).await;
    assert_eq!(listed(&found), [uuid_of(3)]);
    assert!(
        found.contains("value=\"proc.name=cat3\""),
        "the term is in the box"
    );

    // Times are marked for the script (UTC text, ISO datetime).
    assert!(page.contains("<time datetime=\""));
    assert!(page.contains("data-local>"));

    // Auto-refresh on the events page: a meta refresh on the first page only.
    let refreshing = html(&ui, "/events?refresh=10&since=").await;
    assert!(refreshing.contains("<meta http-equiv=\"refresh\" content=\"10\">"));
    assert!(refreshing.contains("<option selected value=\"10\">10s</option>"));
    let later = html(&ui, "/events?refresh=10&since=&limit=10&page=2").await;
    assert!(!later.contains("http-equiv=\"refresh\""));
    // Filters fold into a <details> (open without the script).
    assert!(page.contains("<details class=\"filterbox\" id=\"filterbox\" open>"));
    ui.cleanup().await;
}

#[tokio::test]
async fn dashboard_order_timelines_and_more() {
    let ui = start_with_user(Backend::Sqlite).await;
    ui.store.insert(&sample()).await.expect("insert");
    // Twelve more rules, so the top-ten list has more behind its disclosure.
    let extra: Vec<_> = (0..12u128)
        .map(|i| {
            alert(
                100 + i,
                "Notice",
                &format!("Rule {i:02}"),
                "node-4",
                &["x"],
                30,
            )
        })
        .collect();
    ui.store.insert(&extra).await.expect("insert");
    let page = html(&ui, "/?since=").await;

    // Every priority, most severe first, zeros dimmed.
    let counters = page
        .split("id=\"counters\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("counters");
    let positions: Vec<usize> = [
        "Emergency",
        "Alert",
        "Critical",
        "Error",
        "Warning",
        "Notice",
        "Informational",
        "Debug",
    ]
    .iter()
    .map(|p| counters.find(&format!(">{p} <b>")).expect(p))
    .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert!(counters.contains(">Critical <b>2</b>"));
    assert!(counters.contains(">Notice <b>13</b>"));
    assert!(
        counters.contains("class=\"chip zero\" style=\"--c:#6A1B2E\""),
        "Emergency: zero"
    );
    // The four reds are four colours.
    for c in ["#6A1B2E", "#AD1457", "#E53935", "#F4511E"] {
        assert!(counters.contains(c), "{c}");
    }

    // Two timelines: by priority and by source, each with its legend.
    assert!(page.contains("id=\"timeline\""));
    let by_source = page
        .split("id=\"timeline-source\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("timeline by source");
    assert!(by_source.contains("aria-label=\"Events over time by source\""));
    assert!(by_source.contains("</i>k8s_audit</span>"));
    assert!(by_source.contains("</i>syscalls</span>"));

    // Top rules: ten, then the rest in a <details>.
    let rules = page
        .split("id=\"rules\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("rules panel");
    assert!(rules.contains("<details class=\"more\"><summary>6 more</summary>"));
    assert_eq!(rules.matches("<li>").count(), 16, "every rule is listed");

    // The API's timeline by source.
    let v: Value = get(&ui, "/api/v1/events/timeline?buckets=4&by=source&since=")
        .await
        .json()
        .await
        .expect("json");
    let total = |s: &str| -> u64 {
        v["series"][s]
            .as_array()
            .map_or(0, |a| a.iter().filter_map(Value::as_u64).sum())
    };
    // The timeline covers the last 24 hours: alerts 5 and 6 are older.
    assert_eq!((total("syscalls"), total("k8s_audit")), (15, 1));
    let bad = get(&ui, "/api/v1/events/timeline?by=rule").await;
    assert_eq!(bad.status(), 400);
    ui.cleanup().await;
}

#[derive(Debug)]
struct FakeRuntime;

impl RuntimeInfo for FakeRuntime {
    fn status(&self) -> RuntimeStatus {
        RuntimeStatus {
            outputs: vec![
                OutputStatus {
                    name: "ui".into(),
                    kind: "webui".into(),
                    running: Some(true),
                    breaker: Some("closed".into()),
                    queue_depth: Some(3),
                    in_flight: Some(1),
                    spool_bytes: Some(0),
                    delivered: Some(42),
                    failed: Some(0),
                    dropped: Some(0),
                },
                OutputStatus {
                    name: "slack".into(),
                    kind: "slack".into(),
                    running: Some(true),
                    breaker: Some("open".into()),
                    queue_depth: Some(917),
                    ..OutputStatus::default()
                },
            ],
            routes: vec![RouteStatus {
                condition: "priority <= error and rule = \"<script>x</script>\"".into(),
                outputs: vec!["slack".into()],
                continue_matching: true,
                noise: vec!["throttle: 5 per 10m".into()],
            }],
            default_route: vec!["ui".into()],
            silences: vec![ConfigSilence {
                condition: "hostname = ci-runner".into(),
                ends_at: "2030-01-01T00:00:00Z".into(),
                comment: "CI <noise>".into(),
                ..ConfigSilence::default()
            }],
        }
    }
}

#[tokio::test]
async fn info_page_and_json() {
    let ui = start_with_runtime(
        Backend::Sqlite,
        json!({"auth": {"users": [{"username": "admin", "password": test_hash()}]}}),
        Some(Arc::new(FakeRuntime) as Arc<dyn RuntimeInfo>),
    )
    .await;
    ui.store.insert(&sample()).await.expect("insert");
    let now = chrono::Utc::now().timestamp_micros();
    ui.store
        .add_silence(
            &SilenceRecord {
                id: "s1".into(),
                condition: "rule = x".into(),
                starts_at_us: now - 1_000_000,
                ends_at_us: now + 3_600_000_000,
                created_by: "admin".into(),
                comment: String::new(),
                created_at_us: now,
            },
            1000,
            now,
        )
        .await
        .expect("silence");

    let page = html(&ui, "/info").await;
    assert!(page.contains("<a class=\"on\" href=\"/info\">Info</a>"));
    assert!(page.contains("<td id=\"version-value\">1.2.3</td>"));
    assert!(page.contains("sqlite · <b id=\"stored\">6</b> events"));
    let slack = page
        .split("<tr data-output=\"slack\">")
        .nth(1)
        .and_then(|s| s.split("</tr>").next())
        .expect("slack row");
    assert!(slack.contains("breaker open"));
    assert!(slack.contains("<td class=\"num queue\">917</td>"));
    assert!(slack.contains("<td class=\"num\">—</td>"), "unknown counts");
    assert!(page.contains("<tr data-output=\"ui\"><td><b>ui</b></td><td>webui</td>"));
    // Routes and silences, escaped.
    assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"));
    assert!(!page.contains("<script>x"));
    assert!(page.contains("throttle: 5 per 10m"));
    assert!(page.contains("Default route (no route matched): ui"));
    assert!(page.contains("CI &lt;noise&gt;"));
    assert!(page.contains("<b>1</b> active, <b>0</b> pending"));
    // The configuration, masked by the caller, with a copy button for the script.
    assert!(page.contains("<pre id=\"config\">"));
    assert!(page.contains("data-copy=\"#config\" hidden"));

    let v: Value = get(&ui, "/api/v1/info").await.json().await.expect("json");
    assert_eq!(v["version"], "1.2.3");
    assert_eq!(v["store"], json!({"kind": "sqlite", "events": 6}));
    assert_eq!(v["live"], true);
    assert_eq!(v["outputs"][1]["breaker"], "open");
    assert_eq!(v["outputs"][1]["queue_depth"], 917);
    assert_eq!(v["routes"][0]["continue"], true);
    assert_eq!(v["defaultRoute"], json!(["ui"]));
    assert_eq!(v["silences"]["active"], 1);
    assert_eq!(v["silences"]["config"][0]["match"], "hostname = ci-runner");
    ui.cleanup().await;
}

#[tokio::test]
async fn info_without_runtime_lists_names() {
    let ui = start_with_user(Backend::Sqlite).await;
    let page = html(&ui, "/info").await;
    assert!(page.contains("<tr data-output=\"webui\">"));
    assert!(page.contains("<tr data-output=\"slack\">"));
    assert!(page.contains("does not report its outputs' state"));
    let v: Value = get(&ui, "/api/v1/info").await.json().await.expect("json");
    assert_eq!(v["live"], false);
    assert_eq!(v["outputs"][0]["name"], "webui");
    assert_eq!(v["outputs"][0]["running"], Value::Null);
    ui.cleanup().await;
}

#[tokio::test]
async fn script_csp_and_export_headers() {
    let ui = start_with_user(Backend::Sqlite).await;
    ui.store.insert(&sample()).await.expect("insert");
    // The script is public (like the stylesheet) and allowed by the policy; pages load it.
    let js = client()
        .get(format!("{}/static/app.js", ui.base_url))
        .send()
        .await
        .expect("script");
    assert_eq!(js.status(), 200);
    assert_eq!(
        js.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(js
        .text()
        .await
        .expect("body")
        .contains("navigator.clipboard"));
    let page = get(&ui, "/events").await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
    let body = page.text().await.expect("body");
    assert!(body.contains("<script src=\"/static/app.js\" defer></script>"));

    // An export says how many match and whether it stopped at its limit.
    let res = get(&ui, "/api/v1/events/export?format=ndjson&limit=2").await;
    assert_eq!(res.headers()["x-falconer-export-limit"], "2");
    assert_eq!(res.headers()["x-falconer-export-matching"], "6");
    assert_eq!(res.headers()["x-falconer-export-truncated"], "true");
    assert_eq!(res.text().await.expect("body").lines().count(), 2);
    let res = get(&ui, "/api/v1/events/export?format=csv&priority=Critical").await;
    assert_eq!(res.headers()["x-falconer-export-limit"], "10000");
    assert_eq!(res.headers()["x-falconer-export-matching"], "2");
    assert_eq!(res.headers()["x-falconer-export-truncated"], "false");
    // Fewer than 10,000 match: no notice on the page.
    assert!(!body.contains("id=\"export-limit\""));
    ui.cleanup().await;
}
