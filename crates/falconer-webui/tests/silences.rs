//! Silences (issue 18 §3) against both stores: the API (create, list, filter, expire,
//! validation with reasons, limits, auth and cross-site refusal), persistence across
//! reopening the store, the pages, the feed the router reads (prompt after a change through
//! the API, and through the poll for another replica sharing PostgreSQL), and retention.
//! PostgreSQL tests need the server on 127.0.0.1:5432 (trust auth, database `test`).

mod common;

use std::time::{Duration, Instant};

use common::*;
use falconer_webui::{
    open_store, silence_feed, SilenceAdded, SilenceRecord, Silences, MAX_UNENDED_SILENCES,
};
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

fn in_minutes(m: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(m))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn post(ui: &Ui, body: Value) -> reqwest::Response {
    client()
        .post(format!("{}/api/v1/silences", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .json(&body)
        .send()
        .await
        .expect("request")
}

async fn post_ok(ui: &Ui, body: Value) -> Value {
    let res = post(ui, body).await;
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    assert_eq!(status, 201, "{text}");
    serde_json::from_str(&text).expect("json")
}

async fn list(ui: &Ui, query: &str) -> Vec<Value> {
    let res = client()
        .get(format!("{}/api/v1/silences{query}", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    res.json::<Vec<Value>>().await.expect("json list")
}

async fn delete(ui: &Ui, id: &str) -> reqwest::StatusCode {
    client()
        .delete(format!("{}/api/v1/silences/{id}", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .expect("request")
        .status()
}

fn ids(list: &[Value]) -> Vec<&str> {
    list.iter().map(|s| s["id"].as_str().expect("id")).collect()
}

async fn create_list_expire(backend: Backend) {
    let ui = start_with_user(backend).await;
    let condition = r#"rule = "Terminal shell in container" and hostname = node-1"#;
    let ends = in_minutes(60);
    let a = post_ok(
        &ui,
        json!({"match": condition, "endsAt": ends, "comment": "known job"}),
    )
    .await;
    assert!(
        uuid::Uuid::parse_str(a["id"].as_str().expect("id")).is_ok(),
        "{a}"
    );
    assert_eq!(a["match"], condition);
    assert_eq!(a["status"], "active");
    assert_eq!(a["createdBy"], "admin", "defaults to the signed-in user");
    assert_eq!(a["comment"], "known job");
    let ends_at = chrono::DateTime::parse_from_rfc3339(a["endsAt"].as_str().expect("endsAt"))
        .expect("RFC 3339");
    assert_eq!(
        ends_at.to_rfc3339(),
        chrono::DateTime::parse_from_rfc3339(&ends)
            .expect("t")
            .to_rfc3339()
    );
    for key in ["startsAt", "createdAt"] {
        assert!(
            chrono::DateTime::parse_from_rfc3339(a[key].as_str().expect(key)).is_ok(),
            "{key}: {a}"
        );
    }
    // A pending one, by someone else.
    let b = post_ok(
        &ui,
        json!({"match": "priority >= critical", "startsAt": in_minutes(30), "endsAt": in_minutes(90),
               "createdBy": "ci-bot"}),
    )
    .await;
    assert_eq!(b["status"], "pending");
    assert_eq!(b["createdBy"], "ci-bot");

    // Newest first; filters by state.
    let all = list(&ui, "").await;
    assert_eq!(
        ids(&all),
        [b["id"].as_str().expect("id"), a["id"].as_str().expect("id")]
    );
    assert_eq!(all[1], a, "the list shows what POST answered");
    assert_eq!(
        ids(&list(&ui, "?state=active").await),
        [a["id"].as_str().expect("id")]
    );
    assert_eq!(
        ids(&list(&ui, "?state=pending").await),
        [b["id"].as_str().expect("id")]
    );
    assert!(list(&ui, "?state=expired").await.is_empty());
    let res = client()
        .get(format!("{}/api/v1/silences?state=later", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 400);

    // Expire: 204, then listed as expired (and expiring again is harmless); unknown → 404.
    let id_a = a["id"].as_str().expect("id");
    assert_eq!(delete(&ui, id_a).await, 204);
    let expired = list(&ui, "?state=expired").await;
    assert_eq!(ids(&expired), [id_a]);
    assert_eq!(expired[0]["status"], "expired");
    assert_eq!(delete(&ui, id_a).await, 204);
    assert_eq!(delete(&ui, "no-such-silence").await, 404);
    // A pending one expires too (it then starts and ends at once).
    assert_eq!(delete(&ui, b["id"].as_str().expect("id")).await, 204);
    assert_eq!(list(&ui, "?state=expired").await.len(), 2);
    assert!(list(&ui, "?state=active").await.is_empty());
    assert!(list(&ui, "?state=pending").await.is_empty());
    ui.cleanup().await;
}

async fn validation(backend: Backend) {
    let ui = start_with_user(backend).await;
    let ends = in_minutes(60);
    let refused = |body: Value, field: &'static str| {
        let ui = &ui;
        async move {
            let res = post(ui, body.clone()).await;
            assert_eq!(res.status(), 400, "{body}");
            let v: Value = res.json().await.expect("json error");
            assert_eq!(v["field"], field, "{body}: {v}");
            assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
            v
        }
    };
    // A condition that does not parse: the column, what was expected and found.
    let v = refused(json!({"match": "rule = a and", "endsAt": ends}), "match").await;
    assert_eq!(v["column"], 13, "{v}");
    assert_eq!(v["found"], "end of input", "{v}");
    assert!(
        v["error"].as_str().expect("error").contains("column 13"),
        "{v}"
    );
    let v = refused(
        json!({"match": "priority >= severe", "endsAt": ends}),
        "match",
    )
    .await;
    assert!(v["column"].as_u64().is_some(), "{v}");
    refused(json!({"endsAt": ends}), "match").await;
    refused(json!({"match": "rule = a"}), "endsAt").await;
    let v = refused(json!({"match": "rule = a", "endsAt": "tomorrow"}), "endsAt").await;
    assert!(v["error"].as_str().expect("e").contains("RFC 3339"), "{v}");
    refused(
        json!({"match": "rule = a", "startsAt": "now", "endsAt": ends}),
        "startsAt",
    )
    .await;
    refused(
        json!({"match": "rule = a", "startsAt": in_minutes(120), "endsAt": ends}),
        "endsAt",
    )
    .await;
    refused(
        json!({"match": "rule = a", "endsAt": in_minutes(-5)}),
        "endsAt",
    )
    .await;
    // Bounded sizes.
    let long = format!("rule = \"{}\"", "x".repeat(falconer_webui::MAX_MATCH_BYTES));
    refused(json!({"match": long, "endsAt": ends}), "match").await;
    let comment = "c".repeat(falconer_webui::MAX_COMMENT_BYTES + 1);
    refused(
        json!({"match": "rule = a", "endsAt": ends, "comment": comment}),
        "comment",
    )
    .await;
    let by = "u".repeat(falconer_webui::MAX_CREATED_BY_BYTES + 1);
    refused(
        json!({"match": "rule = a", "endsAt": ends, "createdBy": by}),
        "createdBy",
    )
    .await;
    // Not JSON: 415 (an HTML form cannot send JSON) or 400.
    let res = client()
        .post(format!("{}/api/v1/silences", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("match=rule%3Da")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 415);
    let res = client()
        .post(format!("{}/api/v1/silences", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .header("content-type", "application/json")
        .body("{\"match\": ")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 400);
    assert!(list(&ui, "").await.is_empty(), "nothing was stored");
    ui.cleanup().await;
}

async fn auth_and_cross_site(backend: Backend) {
    let ui = start_with_user(backend).await;
    let body = json!({"match": "rule = a", "endsAt": in_minutes(60)});
    let c = client();
    let url = format!("{}/api/v1/silences", ui.base_url);
    // No credentials, wrong ones: 401 for every method.
    assert_eq!(c.get(&url).send().await.expect("r").status(), 401);
    assert_eq!(
        c.post(&url).json(&body).send().await.expect("r").status(),
        401
    );
    let res = c
        .post(&url)
        .basic_auth("admin", Some("wrong"))
        .json(&body)
        .send()
        .await
        .expect("r");
    assert_eq!(res.status(), 401);
    let created = post_ok(&ui, body.clone()).await;
    let id = created["id"].as_str().expect("id");
    let one = format!("{url}/{id}");
    assert_eq!(c.delete(&one).send().await.expect("r").status(), 401);
    // Cross-site writes with valid credentials (a browser that cached them): 403.
    for headers in [
        vec![("origin", "https://evil.example")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("origin", "null")],
    ] {
        let mut req = c.post(&url).basic_auth("admin", Some(PASSWORD)).json(&body);
        for (k, v) in &headers {
            req = req.header(*k, *v);
        }
        assert_eq!(req.send().await.expect("r").status(), 403, "{headers:?}");
        let mut req = c.delete(&one).basic_auth("admin", Some(PASSWORD));
        for (k, v) in &headers {
            req = req.header(*k, *v);
        }
        assert_eq!(req.send().await.expect("r").status(), 403, "{headers:?}");
        // The page's forms too.
        let mut req = c
            .post(format!("{}/silences/{id}/expire", ui.base_url))
            .basic_auth("admin", Some(PASSWORD));
        for (k, v) in &headers {
            req = req.header(*k, *v);
        }
        assert_eq!(req.send().await.expect("r").status(), 403, "{headers:?}");
    }
    // Nothing changed; the same request from the UI's own origin works.
    assert_eq!(list(&ui, "?state=active").await.len(), 1);
    let own = ui.base_url.clone();
    let res = c
        .delete(&one)
        .basic_auth("admin", Some(PASSWORD))
        .header("origin", own.as_str())
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .expect("r");
    assert_eq!(res.status(), 204);
    ui.cleanup().await;
}

async fn limit_of_unended(backend: Backend) {
    let ui = start_with_user(backend).await;
    let now = chrono::Utc::now().timestamp_micros();
    // Fill up directly through the store (fast), then the API refuses one more.
    for i in 0..MAX_UNENDED_SILENCES {
        let r = record(
            &format!("fill-{i:04}"),
            "rule = a",
            now,
            now + 3_600_000_000,
        );
        assert_eq!(
            ui.store
                .add_silence(&r, MAX_UNENDED_SILENCES, now)
                .await
                .expect("add"),
            SilenceAdded::Added
        );
    }
    let res = post(&ui, json!({"match": "rule = b", "endsAt": in_minutes(60)})).await;
    assert_eq!(res.status(), 409);
    let v: Value = res.json().await.expect("json");
    assert!(v["error"].as_str().expect("error").contains("1000"), "{v}");
    // Expiring one makes room.
    assert_eq!(delete(&ui, "fill-0000").await, 204);
    post_ok(&ui, json!({"match": "rule = b", "endsAt": in_minutes(60)})).await;
    ui.cleanup().await;
}

fn record(id: &str, condition: &str, starts: i64, ends: i64) -> SilenceRecord {
    SilenceRecord {
        id: id.into(),
        condition: condition.into(),
        starts_at_us: starts,
        ends_at_us: ends,
        created_by: "test".into(),
        comment: String::new(),
        created_at_us: starts,
    }
}

async fn persistence(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = store_settings(backend, dir.path());
    let now = chrono::Utc::now().timestamp_micros();
    {
        let store = open_store(&settings).await.expect("open");
        let r = SilenceRecord {
            comment: "ticket SEC-1 \u{2713}".into(),
            ..record(
                "p-1",
                "rule = \"Write below etc\"",
                now,
                now + 3_600_000_000,
            )
        };
        assert_eq!(
            store.add_silence(&r, 10, now).await.expect("add"),
            SilenceAdded::Added
        );
        store
            .add_silence(&record("p-2", "rule = b", now, now + 60_000_000), 10, now)
            .await
            .expect("add");
        assert!(store
            .expire_silence("p-2", now + 1)
            .await
            .expect("expire")
            .is_some());
    }
    // A new handle (as after a restart) reads them back, as they were.
    let store = open_store(&settings).await.expect("reopen");
    let all = store.silences(false, now + 2, 100).await.expect("list");
    assert_eq!(all.len(), 2);
    let p1 = all.iter().find(|s| s.id == "p-1").expect("p-1");
    assert_eq!(p1.condition, "rule = \"Write below etc\"");
    assert_eq!(p1.comment, "ticket SEC-1 \u{2713}");
    assert_eq!((p1.starts_at_us, p1.ends_at_us), (now, now + 3_600_000_000));
    let p2 = all.iter().find(|s| s.id == "p-2").expect("p-2");
    assert_eq!(p2.ends_at_us, now + 1, "the expiry persisted");
    let unended = store.silences(true, now + 2, 100).await.expect("list");
    assert_eq!(
        unended.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["p-1"]
    );
    assert!(store
        .expire_silence("nope", now)
        .await
        .expect("expire")
        .is_none());

    // Retention: silences that ended more than maxage ago go, recent ones stay.
    store
        .add_silence(
            &record(
                "old",
                "rule = c",
                now - 10 * 86_400_000_000,
                now - 9 * 86_400_000_000,
            ),
            10,
            now,
        )
        .await
        .expect("add");
    let r: falconer_webui::Retention =
        serde_json::from_value(json!({"maxage": "2d", "maxevents": 0})).expect("retention");
    store.retain(&r, now).await.expect("retain");
    let left: Vec<String> = store
        .silences(false, now, 100)
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert!(!left.contains(&"old".to_owned()), "{left:?}");
    assert_eq!(left.len(), 2, "{left:?}");
    if backend == Backend::Postgres {
        drop_pg_tables(&settings.table).await;
    }
}

async fn drop_pg_tables(table: &str) {
    let (client, conn) = tokio_postgres::connect(&pg_dsn(), tokio_postgres::NoTls)
        .await
        .expect("connect for cleanup");
    tokio::spawn(conn);
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS {table}; DROP TABLE IF EXISTS {table}_dropped; DROP TABLE IF EXISTS {table}_silences; DROP TABLE IF EXISTS {table}_dims; DROP TABLE IF EXISTS {table}_series; DROP TABLE IF EXISTS {table}_agg; DROP TABLE IF EXISTS {table}_agg_host; DROP TABLE IF EXISTS {table}_zdict"
        ))
        .await
        .expect("drop test tables");
}

/// Waits up to `within` for the feed to hold exactly `ids`; returns how long it took.
async fn until_feed(
    rx: &mut watch::Receiver<Silences>,
    ids: &[&str],
    within: Duration,
) -> Duration {
    let start = Instant::now();
    loop {
        let now: Vec<String> = rx
            .borrow_and_update()
            .iter()
            .map(|s| s.id.clone())
            .collect();
        if now == ids {
            return start.elapsed();
        }
        let left = within.saturating_sub(start.elapsed());
        if left.is_zero() {
            panic!("after {within:?} the feed holds {now:?}, not {ids:?}");
        }
        let _ = tokio::time::timeout(left, rx.changed()).await;
    }
}

async fn feed_follows_the_api(backend: Backend) {
    let ui = start_with_user(backend).await;
    let pre = post_ok(
        &ui,
        json!({"match": "rule = before", "endsAt": in_minutes(60)}),
    )
    .await;
    let stop = CancellationToken::new();
    // A long poll: what follows is the API's own notification, not the poll.
    let mut rx = silence_feed(ui.store.clone(), Duration::from_secs(3600), stop.clone()).await;
    let pre_id = pre["id"].as_str().expect("id");
    assert_eq!(
        rx.borrow()
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        [pre_id],
        "the first value is the store's"
    );
    let condition = r#"rule = "Terminal shell in container" and hostname = node-1"#;
    let s = post_ok(&ui, json!({"match": condition, "endsAt": in_minutes(60)})).await;
    let id = s["id"].as_str().expect("id");
    let took = until_feed(&mut rx, &[id, pre_id], Duration::from_secs(2)).await;
    eprintln!("feed after POST: {took:?}");
    {
        let silences = rx.borrow();
        let got = silences.iter().find(|x| x.id == id).expect("published");
        assert_eq!(got.condition.source(), condition);
        assert_eq!(got.created_by, "admin");
        // It silences what it says, and nothing else.
        let now = chrono::Utc::now();
        let shell = alert(
            1,
            "Warning",
            "Terminal shell in container",
            "node-1",
            &[],
            0,
        );
        let other = alert(
            2,
            "Warning",
            "Terminal shell in container",
            "node-2",
            &[],
            0,
        );
        assert_eq!(
            silences.matching(&shell, now).map(|s| s.id.as_str()),
            Some(id)
        );
        assert!(silences.matching(&other, now).is_none());
    }
    assert_eq!(delete(&ui, id).await, 204);
    let took = until_feed(&mut rx, &[pre_id], Duration::from_secs(2)).await;
    eprintln!("feed after DELETE: {took:?}");
    // The pages' form goes through the same path.
    let res = client()
        .post(format!("{}/silences", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .form(&[
            ("match", "source = k8s_audit"),
            ("duration", "1h"),
            ("comment", ""),
        ])
        .send()
        .await
        .expect("form");
    assert_eq!(res.status(), 303);
    let newest = list(&ui, "").await;
    let form_id = newest[0]["id"].as_str().expect("id").to_owned();
    until_feed(&mut rx, &[&form_id, pre_id], Duration::from_secs(2)).await;
    stop.cancel();
    ui.cleanup().await;
}

/// A row written by hand that no longer parses is skipped; the others are published.
async fn feed_skips_unparsable_rows(backend: Backend) {
    let ui = start_with_user(backend).await;
    let now = chrono::Utc::now().timestamp_micros();
    let hour = 3_600_000_000;
    ui.store
        .add_silence(&record("bad", "rule = = =", now, now + hour), 10, now)
        .await
        .expect("add");
    ui.store
        .add_silence(&record("good", "rule = ok", now, now + hour), 10, now)
        .await
        .expect("add");
    let stop = CancellationToken::new();
    let rx = silence_feed(ui.store.clone(), Duration::from_secs(3600), stop.clone()).await;
    assert_eq!(
        rx.borrow()
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        ["good"]
    );
    stop.cancel();
    ui.cleanup().await;
}

/// Two replicas on one PostgreSQL database: a silence made on one reaches the other's feed
/// through the poll, and so does its expiry.
#[tokio::test]
async fn replicas_sharing_postgres_converge_within_the_poll() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = store_settings(Backend::Postgres, dir.path());
    let a = open_store(&settings).await.expect("replica a");
    let b = open_store(&settings).await.expect("replica b");
    let stop = CancellationToken::new();
    let poll = Duration::from_millis(300);
    let mut feed_a = silence_feed(a.clone(), poll, stop.clone()).await;
    assert!(feed_a.borrow().is_empty());
    let now = chrono::Utc::now().timestamp_micros();
    let s = record("shared-1", "hostname = node-7", now, now + 3_600_000_000);
    assert_eq!(
        b.add_silence(&s, 1000, now).await.expect("add on b"),
        SilenceAdded::Added
    );
    let took = until_feed(&mut feed_a, &["shared-1"], poll * 4).await;
    eprintln!("replica a saw b's silence after {took:?} (poll {poll:?})");
    assert!(b
        .expire_silence("shared-1", chrono::Utc::now().timestamp_micros())
        .await
        .expect("expire")
        .is_some());
    let took = until_feed(&mut feed_a, &[], poll * 4).await;
    eprintln!("replica a saw b's expiry after {took:?}");
    stop.cancel();
    drop_pg_tables(&settings.table).await;
}

async fn pages(backend: Backend) {
    let ui = start_with_user(backend).await;
    let c = client();
    let get = |path: String| {
        let c = c.clone();
        async move {
            let res = c
                .get(path)
                .basic_auth("admin", Some(PASSWORD))
                .send()
                .await
                .expect("page");
            assert_eq!(res.status(), 200);
            res.text().await.expect("html")
        }
    };
    // Events: one silenced by the router (marked), one with markup in its rule.
    let json = json!({
        "output": "shell in container (user=root)",
        "priority": "Warning",
        "rule": "Terminal shell in container",
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        "source": "syscalls",
        "hostname": "node-1",
        "tags": [],
        "output_fields": {"proc.name": "bash", "falconer.silenced": "4b1d-silence-id"},
    });
    let silenced = falconer_testkit::enriched(&json.to_string(), 1);
    let markup = alert(
        2,
        "Notice",
        "<script>x</script> \"quoted\"",
        "node-2",
        &[],
        10,
    );
    ui.store.insert(&[silenced, markup]).await.expect("insert");

    let html = get(format!("{}/events", ui.base_url)).await;
    assert!(
        html.contains("href=\"/silences\""),
        "navigation links the page"
    );
    assert_eq!(
        html.matches("class=\"badge silenced\"").count(),
        1,
        "one silenced badge"
    );
    assert!(html.contains("title=\"silenced by 4b1d-silence-id\""));
    assert!(!html.contains("<script>x"), "escaped");
    let expected = format!(
        "href=\"/silences?match={}\"",
        urlencode(r#"rule = "Terminal shell in container" and hostname = node-1"#)
    );
    assert!(html.contains(&expected), "{expected} in the events table");
    let detail = get(format!("{}/events/{}", ui.base_url, uuid_of(1))).await;
    assert!(detail.contains("Silence alerts like this"));
    assert!(detail.contains("class=\"badge silenced\""));

    // The link pre-fills the form, escaped.
    let prefill = format!(
        "{}/silences?match={}",
        ui.base_url,
        urlencode(r#"rule = "<script>x</script> \"quoted\"" and hostname = node-2"#)
    );
    let html = get(prefill).await;
    assert!(
        html.contains("&quot;&lt;script&gt;x&lt;/script&gt; \\&quot;quoted\\&quot;&quot;"),
        "pre-filled and escaped"
    );
    assert!(!html.contains("<script>x"));

    // Create through the form, see it listed with an Expire button, expire it.
    let res = c
        .post(format!("{}/silences", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .form(&[
            ("match", "rule = \"Write below etc\""),
            ("duration", "2h"),
            ("comment", "<b>patching</b>"),
        ])
        .send()
        .await
        .expect("form");
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/silences");
    let html = get(format!("{}/silences", ui.base_url)).await;
    assert!(html.contains("rule = &quot;Write below etc&quot;"));
    assert!(html.contains("&lt;b&gt;patching&lt;/b&gt;"));
    assert!(html.contains(">active<"));
    assert!(html.contains(">Expire</button>"));
    let id = list(&ui, "").await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(list(&ui, "").await[0]["createdBy"], "admin");
    assert!(list(&ui, "").await[0]["endsAt"].as_str().is_some());
    let res = c
        .post(format!("{}/silences/{id}/expire", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .expect("expire");
    assert_eq!(res.status(), 303);
    let html = get(format!("{}/silences?state=expired", ui.base_url)).await;
    assert!(html.contains(">expired<"));
    assert!(!html.contains(">Expire</button>"));
    // A bad form comes back with the reason, the input kept.
    let res = c
        .post(format!("{}/silences", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .form(&[
            ("match", "rule = a and"),
            ("duration", "1h"),
            ("comment", ""),
        ])
        .send()
        .await
        .expect("form");
    assert_eq!(res.status(), 400);
    let html = res.text().await.expect("html");
    assert!(html.contains("column 13"), "{html}");
    assert!(html.contains(">rule = a and</textarea>"));
    let res = c
        .post(format!("{}/silences", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .form(&[("match", "rule = a"), ("duration", "soon"), ("comment", "")])
        .send()
        .await
        .expect("form");
    assert_eq!(res.status(), 400);
    let res = c
        .post(format!("{}/silences/unknown/expire", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .expect("expire");
    assert_eq!(res.status(), 404);
    // Without a session, the page sends to the login page.
    let res = c
        .get(format!("{}/silences", ui.base_url))
        .send()
        .await
        .expect("page");
    assert_eq!(res.status(), 303);
    ui.cleanup().await;
}

/// What a browser does, under a base path: sign in (session cookie), follow an event's
/// "Silence alerts like this" link, submit the pre-filled form with the headers a browser
/// sends on a same-origin form (`Origin`, `Sec-Fetch-Site`), expire it from the list.
async fn browser_flow_under_a_base_path(backend: Backend) {
    let ui = start(
        backend,
        json!({"basepath": "/falconer", "auth": {"users": [{"username": "admin", "password": test_hash()}]}}),
    )
    .await;
    ui.store
        .insert(&[alert(
            1,
            "Warning",
            "Terminal shell in container",
            "node-1",
            &[],
            5,
        )])
        .await
        .expect("insert");
    let c = client();
    let res = c
        .post(format!("{}/falconer/login", ui.base_url))
        .form(&[
            ("username", "admin"),
            ("password", PASSWORD),
            ("next", "/falconer/events"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 303);
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    let cookie = cookie.split(';').next().expect("pair").to_owned();
    let page = |path: String| {
        let (c, cookie) = (c.clone(), cookie.clone());
        async move {
            let res = c
                .get(path)
                .header("cookie", cookie)
                .send()
                .await
                .expect("page");
            assert_eq!(res.status(), 200);
            res.text().await.expect("html")
        }
    };
    let events = page(format!("{}/falconer/events", ui.base_url)).await;
    assert!(
        events.contains("href=\"/falconer/silences\""),
        "navigation under the base path"
    );
    let start = events
        .find("class=\"button small ghost silence\" href=\"")
        .expect("silence link")
        + "class=\"button small ghost silence\" href=\"".len();
    let href = &events[start..start + events[start..].find('"').expect("end of href")];
    assert!(href.starts_with("/falconer/silences?match="), "{href}");
    let form = page(format!("{}{}", ui.base_url, href.replace("&amp;", "&"))).await;
    assert!(
        form.contains("action=\"/falconer/silences\""),
        "the form posts under the base path"
    );
    assert!(form.contains(
        ">rule = &quot;Terminal shell in container&quot; and hostname = node-1</textarea>"
    ));
    let own = ui.base_url.clone();
    let res = c
        .post(format!("{}/falconer/silences", ui.base_url))
        .header("cookie", &cookie)
        .header("origin", own.as_str())
        .header("sec-fetch-site", "same-origin")
        .form(&[
            (
                "match",
                r#"rule = "Terminal shell in container" and hostname = node-1"#,
            ),
            ("duration", "1h"),
            ("comment", "maintenance"),
        ])
        .send()
        .await
        .expect("submit");
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/falconer/silences");
    let all = ui
        .store
        .silences(false, chrono::Utc::now().timestamp_micros(), 10)
        .await
        .expect("list");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].created_by, "admin", "the signed-in user");
    assert_eq!(all[0].comment, "maintenance");
    let hour = all[0].ends_at_us - all[0].starts_at_us;
    assert_eq!(hour, 3_600_000_000);
    let list = page(format!("{}/falconer/silences", ui.base_url)).await;
    let expire = format!("action=\"/falconer/silences/{}/expire\"", all[0].id);
    assert!(list.contains(&expire), "{expire}");
    let res = c
        .post(format!(
            "{}/falconer/silences/{}/expire",
            ui.base_url, all[0].id
        ))
        .header("cookie", &cookie)
        .header("origin", own.as_str())
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .expect("expire");
    assert_eq!(res.status(), 303);
    let all = ui
        .store
        .silences(true, chrono::Utc::now().timestamp_micros(), 10)
        .await
        .expect("list");
    assert!(all.is_empty(), "expired");
    ui.cleanup().await;
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

macro_rules! both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(#[tokio::test]
            async fn $name() { super::$name(Backend::Sqlite).await; })*
        }
        mod postgres {
            use super::*;
            $(#[tokio::test]
            async fn $name() { super::$name(Backend::Postgres).await; })*
        }
    };
}

both_stores!(
    create_list_expire,
    validation,
    auth_and_cross_site,
    limit_of_unended,
    persistence,
    feed_follows_the_api,
    feed_skips_unparsable_rows,
    pages,
    browser_flow_under_a_base_path,
);
