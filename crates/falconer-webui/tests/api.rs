//! The API against both stores: falcosidekick-ui's search/count/count-by semantics,
//! falcosidekick's `{event, outputs}` POST (idempotent), export, retention and auth.
//! PostgreSQL tests need the server on 127.0.0.1:5432 (trust auth, database `test`): a
//! missing server fails them.

mod common;

use common::*;
use serde_json::{json, Value};

async fn get_json(ui: &Ui, path: &str) -> Value {
    let res = client()
        .get(format!("{}{path}", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .expect("request");
    assert_eq!(
        res.status(),
        200,
        "{path}: {}",
        res.text().await.unwrap_or_default()
    );
    res.json().await.expect("json")
}

async fn search_and_filters(backend: Backend) {
    let ui = start_with_user(backend).await;
    let added = ui.store.insert(&sample()).await.expect("insert");
    assert_eq!(added, 6);

    // Newest first, all by default.
    let v = get_json(&ui, "/api/v1/events/search").await;
    assert_eq!(uuids(&v), (1..=6).map(uuid_of).collect::<Vec<_>>());
    assert_eq!(v["statistics"], json!({"returned": 6, "all": 6}));
    // The stored event is falcosidekick's payload, as is.
    assert_eq!(v["results"][0]["rule"], "Write below etc");
    assert_eq!(v["results"][0]["output_fields"]["evt.num"], 1);

    // Lists are OR'ed within a parameter, AND'ed across; priority is case-insensitive.
    let v = get_json(&ui, "/api/v1/events/search?priority=critical,Notice").await;
    assert_eq!(uuids(&v), [uuid_of(1), uuid_of(4), uuid_of(5)]);
    let v = get_json(
        &ui,
        "/api/v1/events/search?priority=Critical&hostname=node-2",
    )
    .await;
    assert_eq!(uuids(&v), [uuid_of(5)]);
    let v = get_json(
        &ui,
        "/api/v1/events/search?rule=Terminal%20shell%20in%20container&hostname=null",
    )
    .await;
    assert_eq!(uuids(&v), [uuid_of(2), uuid_of(3)]);
    let v = get_json(&ui, "/api/v1/events/search?source=k8s_audit").await;
    assert_eq!(uuids(&v), [uuid_of(4)]);
    let v = get_json(&ui, "/api/v1/events/search?tags=shell,network").await;
    assert_eq!(uuids(&v), [uuid_of(2), uuid_of(3), uuid_of(4)]);

    // Free text: a substring of the output or of a field, case-insensitive; short terms too.
    let v = get_json(&ui, "/api/v1/events/search?filter=API%20SERVER").await;
    assert_eq!(uuids(&v), [uuid_of(4)]);
    let v = get_json(&ui, "/api/v1/events/search?filter=cat5").await;
    assert_eq!(uuids(&v), [uuid_of(5)]);
    let v = get_json(&ui, "/api/v1/events/search?filter=t6").await;
    assert_eq!(uuids(&v), [uuid_of(6)]);
    let v = get_json(&ui, "/api/v1/events/search?filter=100%25").await;
    assert_eq!(v["statistics"]["all"], 0, "% is not a wildcard");

    // Windows: since, from/to.
    let v = get_json(&ui, "/api/v1/events/search?since=1h").await;
    assert_eq!(uuids(&v), [uuid_of(1), uuid_of(2), uuid_of(3)]);
    let v = get_json(&ui, "/api/v1/events/search?since=2d").await;
    assert_eq!(v["statistics"]["all"], 5);
    let now = chrono::Utc::now().timestamp();
    let v = get_json(
        &ui,
        &format!("/api/v1/events/search?from={}&to={}", now - 7300, now - 90),
    )
    .await;
    assert_eq!(uuids(&v), [uuid_of(3), uuid_of(4)]);

    // Pages are 1-based; 0 is page 1.
    let v = get_json(&ui, "/api/v1/events/search?limit=2&page=2").await;
    assert_eq!(uuids(&v), [uuid_of(3), uuid_of(4)]);
    assert_eq!(v["statistics"], json!({"returned": 2, "all": 6}));
    let v = get_json(&ui, "/api/v1/events/search?limit=2&page=0").await;
    assert_eq!(uuids(&v), [uuid_of(1), uuid_of(2)]);

    // Counts.
    let v = get_json(&ui, "/api/v1/events/count?since=1h").await;
    assert_eq!(
        v,
        json!({"statistics": {"all": 3}, "dropped": {"total": 0, "by_reason": {}}})
    );
    let v = get_json(&ui, "/api/v1/events/count/priority").await;
    assert_eq!(
        v,
        json!({"results": {"Critical": 2, "Warning": 2, "Notice": 1, "Debug": 1},
               "statistics": {"all": 6, "distincts": 4}})
    );
    let v = get_json(&ui, "/api/v1/events/count/hostname?priority=Critical").await;
    assert_eq!(
        v,
        json!({"results": {"node-1": 1, "node-2": 1}, "statistics": {"all": 2, "distincts": 2}})
    );
    // Tags count occurrences, as falcosidekick-ui.
    let v = get_json(&ui, "/api/v1/events/count/tags").await;
    assert_eq!(
        v["results"],
        json!({"container": 2, "filesystem": 2, "k8s": 1, "mitre_persistence": 1, "network": 1, "shell": 2})
    );
    assert_eq!(v["statistics"], json!({"all": 9, "distincts": 6}));
    let v = get_json(&ui, "/api/v1/events/count/rule?source=syscalls").await;
    assert_eq!(v["statistics"], json!({"all": 5, "distincts": 3}));

    let res = client()
        .get(format!("{}/api/v1/events/count/output", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 400);
    assert_eq!(res.text().await.expect("body"), "wrong Group By field");
    let res = client()
        .get(format!(
            "{}/api/v1/events/search?from=yesterday",
            ui.base_url
        ))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 400);

    // Timeline: 6 buckets of 10 minutes over the last hour.
    let v = get_json(&ui, "/api/v1/events/timeline?since=1h&buckets=6").await;
    assert_eq!(v["buckets"], 6);
    let total: u64 = v["series"]
        .as_object()
        .expect("series")
        .values()
        .flat_map(|s| {
            s.as_array()
                .expect("counts")
                .iter()
                .map(|n| n.as_u64().expect("n"))
        })
        .sum();
    assert_eq!(total, 3);
    assert_eq!(v["series"]["Warning"].as_array().expect("warning")[5], 2);

    // One event.
    let v = get_json(&ui, &format!("/api/v1/events/get/{}", uuid_of(4))).await;
    assert_eq!(v["hostname"], "node-3");
    ui.cleanup().await;
}

async fn add_endpoint(backend: Backend) {
    let ui = start_with_user(backend).await;
    let event: Value = serde_json::from_str(falconer_testkit::CONFIGMAP_ALERT).expect("seed");
    let mut event = event;
    event["uuid"] = json!("6f1d2c4e-6a8b-4b9e-9d1a-2b3c4d5e6f70");
    let body = json!({"event": event, "outputs": ["WebUI", "Slack"]});
    for path in ["/api/v1/events/add", "/api/v1/", "/"] {
        let res = client()
            .post(format!("{}{path}", ui.base_url))
            .basic_auth("admin", Some(PASSWORD))
            .json(&body)
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), 200, "{path}");
    }
    // Retried three times, stored once.
    let v = get_json(&ui, "/api/v1/events/search").await;
    assert_eq!(v["statistics"]["all"], 1);
    assert_eq!(
        v["results"][0]["uuid"],
        "6f1d2c4e-6a8b-4b9e-9d1a-2b3c4d5e6f70"
    );
    assert_eq!(
        v["results"][0]["output_fields"]["ka.req.configmap.name"],
        "aws-creds"
    );
    assert_eq!(
        v["results"][0]["output_fields"]["evt.time"],
        1_715_678_467_418_790_000u64
    );
    let v = get_json(&ui, "/api/v1/outputs").await;
    assert_eq!(v, json!(["webui", "slack", "WebUI", "Slack"]));

    // Writes need credentials.
    let res = client()
        .post(format!("{}/api/v1/events/add", ui.base_url))
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["www-authenticate"].to_str().expect("header"),
        "Basic realm=\"Falconer\""
    );
    // No UUID, bad priority: 400.
    let mut bad = body.clone();
    bad["event"]["uuid"] = json!("not-a-uuid");
    let res = client()
        .post(format!("{}/api/v1/events/add", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .json(&bad)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 400);
    let mut bad = body.clone();
    bad["event"]["priority"] = json!("Loud");
    let res = client()
        .post(format!("{}/api/v1/events/add", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .json(&bad)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 400);
    ui.cleanup().await;
}

async fn export(backend: Backend) {
    let ui = start_with_user(backend).await;
    ui.store
        .insert(&[falconer_testkit::enriched(
            falconer_testkit::CONFIGMAP_ALERT,
            42,
        )])
        .await
        .expect("insert");
    ui.store.insert(&sample()).await.expect("insert");
    let res = client()
        .get(format!(
            "{}/api/v1/events/export?format=csv&source=k8s_audit&filter=aws-creds",
            ui.base_url
        ))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .expect("export");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"falco_events.csv\""
    );
    let expected = format!(
        "time,priority,rule,source,hostname,tags,output,uuid,output_fields\r\n\
         2024-05-14T09:21:07.41879Z,Warning,Create/Modify Configmap With Private Credentials,k8s_audit,minikube,k8s,\
         09:21:07.418790000: Warning K8s configmap with private credential (user=minikube-user verb=create resource=configmaps configmap=aws-creds),\
         {},\"{{\"\"evt.time\"\":1715678467418790000,\"\"ka.req.configmap.name\"\":\"\"aws-creds\"\",\"\"ka.target.resource\"\":\"\"configmaps\"\",\"\"ka.user.name\"\":\"\"minikube-user\"\",\"\"ka.verb\"\":\"\"create\"\"}}\"\r\n",
        uuid_of(42)
    );
    assert_eq!(res.text().await.expect("body"), expected);

    let res = client()
        .get(format!(
            "{}/api/v1/events/export?format=ndjson&priority=Warning",
            ui.base_url
        ))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .expect("export");
    let text = res.text().await.expect("body");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON per line"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["uuid"], uuid_of(42));
    ui.cleanup().await;
}

async fn retention(backend: Backend) {
    let ui = start_with_user(backend).await;
    ui.store.insert(&sample()).await.expect("insert");
    let now = chrono::Utc::now().timestamp_micros();
    // By age: 2 days keeps the four newest... and the one a day old.
    let r: falconer_webui::Retention =
        serde_json::from_value(json!({"maxage": "2d", "maxevents": 0})).expect("retention");
    assert_eq!(ui.store.retain(&r, now).await.expect("retain"), 1);
    let v = get_json(&ui, "/api/v1/events/search").await;
    assert_eq!(uuids(&v), (1..=5).map(uuid_of).collect::<Vec<_>>());
    // By count: the oldest go first, with their tags and search text.
    let r: falconer_webui::Retention =
        serde_json::from_value(json!({"maxage": 0, "maxevents": 3})).expect("retention");
    assert_eq!(ui.store.retain(&r, now).await.expect("retain"), 2);
    let v = get_json(&ui, "/api/v1/events/search").await;
    assert_eq!(uuids(&v), (1..=3).map(uuid_of).collect::<Vec<_>>());
    let v = get_json(&ui, "/api/v1/events/count/tags").await;
    assert_eq!(v["statistics"], json!({"all": 6, "distincts": 4}));
    let v = get_json(&ui, "/api/v1/events/search?filter=cat4").await;
    assert_eq!(v["statistics"]["all"], 0);
    // Re-inserting a deleted alert works (its UUID is free again); a stored one is skipped.
    assert_eq!(ui.store.insert(&sample()).await.expect("insert"), 3);

    // Continuous: the background task trims new inserts on its own.
    let r: falconer_webui::Retention =
        serde_json::from_value(json!({"maxage": "1h", "maxevents": 2, "interval": 1}))
            .expect("retention");
    let task = falconer_webui::spawn_retention(&ui.store, r);
    let mut count = u64::MAX;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        count = get_json(&ui, "/api/v1/events/count").await["statistics"]["all"]
            .as_u64()
            .expect("count");
        if count == 2 {
            break;
        }
    }
    assert_eq!(count, 2);
    ui.store
        .insert(&[alert(99, "Error", "New", "node-9", &["new"], 0)])
        .await
        .expect("insert");
    let mut newest = Vec::new();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let v = get_json(&ui, "/api/v1/events/search").await;
        newest = uuids(&v);
        if newest.len() == 2 {
            break;
        }
    }
    assert_eq!(newest, [uuid_of(99), uuid_of(1)]);
    task.abort();
    ui.cleanup().await;
}

async fn info_routes(backend: Backend) {
    let ui = start_with_user(backend).await;
    let v = get_json(&ui, "/api/v1/version").await;
    assert_eq!(v["GitVersion"], "1.2.3");
    assert_eq!(v["GitCommit"], "abc123");
    let v = get_json(&ui, "/api/v1/config").await;
    let text = v.to_string();
    assert!(text.contains("admin:*******"), "{text}");
    assert!(!text.contains("$2b$"), "hash leaked: {text}");
    let res = client()
        .get(format!("{}/api/v1/healthz", ui.base_url))
        .send()
        .await
        .expect("healthz");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.expect("json"),
        json!({"status": "ok"})
    );
    ui.cleanup().await;
}

/// Hostile free text: FTS5 syntax, quotes, stars, unicode, a 4,000-character term and many
/// prefix words are plain words to the search (never a 500, never a query error), and a
/// search's count agrees with the count endpoint.
async fn hostile_free_text(backend: Backend) {
    let ui = start_with_user(backend).await;
    ui.store.insert(&sample()).await.expect("insert");
    let long = "cat".repeat(1_334);
    let many = (0..40)
        .map(|i| format!("c{i}x"))
        .collect::<Vec<_>>()
        .join(" ");
    let terms = [
        "\"",
        "\"cat",
        "cat\"",
        "cat OR write",
        "NEAR(cat write)",
        "cat*",
        "*",
        "^cat",
        "-cat",
        "cat AND",
        "(cat",
        "é*",
        "日本語",
        "%_",
        "\\",
        long.as_str(),
        many.as_str(),
    ];
    for term in terms {
        let q: String = term
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let v = get_json(&ui, &format!("/api/v1/events/search?filter={q}")).await;
        let c = get_json(&ui, &format!("/api/v1/events/count?filter={q}")).await;
        assert_eq!(v["statistics"]["all"], c["statistics"]["all"], "{term:?}");
    }
    // A prefix word finds every word it begins: cat1 … cat6.
    let v = get_json(&ui, "/api/v1/events/search?filter=cat").await;
    assert_eq!(uuids(&v), (1..=6).map(uuid_of).collect::<Vec<_>>());
    // Operators are words: nothing is called OR or NEAR.
    let v = get_json(&ui, "/api/v1/events/search?filter=cat%20OR%20write").await;
    assert_eq!(v["statistics"]["all"], 0);
    ui.cleanup().await;
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
    search_and_filters,
    hostile_free_text,
    add_endpoint,
    export,
    retention,
    info_routes
);
