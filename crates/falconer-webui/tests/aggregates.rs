//! Counts from the pre-aggregated minute/hour/day buckets are exact: random alerts over three
//! days, random time ranges with unaligned ends and random filters, checked against counts
//! made here from the alerts themselves, on both stores, before and after retention deletes
//! some. Also the cursor paging of the events list (API and page).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::*;
use falconer_event::Alert;
use falconer_webui::query::{GroupBy, Query};
use falconer_webui::TimelineBy;
use serde_json::Value;

/// A small deterministic generator (no extra dependency).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const PRIORITIES: [&str; 4] = ["Critical", "Warning", "Notice", "Debug"];
const RULES: [&str; 3] = ["Write below etc", "Terminal shell in container", "Read ssh"];
const HOSTS: [&str; 5] = ["node-1", "node-2", "node-3", "node-4", ""];
const TAGS: [&[&str]; 4] = [&["a", "b"], &["b"], &[], &["c", "a"]];

struct Fixture {
    alerts: Vec<(Arc<Alert>, i64)>,
    now: i64,
}

fn fixture() -> Fixture {
    let mut rng = Lcg(42);
    let mut alerts = Vec::new();
    for n in 1..=1_500u128 {
        // Ages up to 3 days, many within the same minutes.
        let age = if rng.below(3) == 0 {
            (rng.below(40) * 60 + rng.below(3)) as i64
        } else {
            rng.below(3 * 86_400) as i64
        };
        let a = alert(
            n,
            PRIORITIES[rng.below(4) as usize],
            RULES[rng.below(3) as usize],
            HOSTS[rng.below(5) as usize],
            TAGS[rng.below(4) as usize],
            age,
        );
        let ts = a.time.timestamp_micros();
        alerts.push((a, ts));
    }
    Fixture {
        alerts,
        now: chrono::Utc::now().timestamp_micros(),
    }
}

fn matches(a: &Alert, ts: i64, q: &Query) -> bool {
    q.from_us.is_none_or(|f| ts >= f)
        && q.to_us.is_none_or(|t| ts < t)
        && (q.priorities.is_empty() || q.priorities.iter().any(|p| p == a.priority.as_str()))
        && (q.rules.is_empty() || q.rules.contains(&a.rule))
        && (q.hostnames.is_empty() || q.hostnames.contains(&a.hostname))
        && (q.tags.is_empty() || a.tags.iter().any(|t| q.tags.contains(t)))
        && q.terms.iter().all(|t| a.rule.contains(t.as_str()))
}

fn expected_by(f: &Fixture, q: &Query, by: GroupBy) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (a, ts) in &f.alerts {
        if !matches(a, *ts, q) {
            continue;
        }
        let values: Vec<String> = match by {
            GroupBy::Priority => vec![a.priority.as_str().to_owned()],
            GroupBy::Rule => vec![a.rule.clone()],
            GroupBy::Source => vec![a.source.clone()],
            GroupBy::Hostname => vec![a.hostname.clone()],
            GroupBy::Tags => a.tags.clone(),
        };
        for v in values {
            *out.entry(v).or_default() += 1;
        }
    }
    out
}

fn random_query(rng: &mut Lcg, now: i64) -> Query {
    let mut q = Query {
        limit: 7,
        ..Query::default()
    };
    let day = 86_400_000_000i64;
    match rng.below(4) {
        0 => {}
        1 => q.from_us = Some(now - rng.below(3 * day as u64) as i64 - 1),
        _ => {
            let a = now - rng.below(3 * day as u64) as i64 - 7;
            let b = a + rng.below((now - a) as u64 + day as u64) as i64 + 1;
            q.from_us = Some(a);
            q.to_us = Some(b);
        }
    }
    if rng.below(3) == 0 {
        q.priorities = vec![PRIORITIES[rng.below(4) as usize].to_owned()];
    }
    if rng.below(4) == 0 {
        q.rules = vec![RULES[rng.below(3) as usize].to_owned()];
    }
    if rng.below(3) == 0 {
        q.hostnames = vec![
            HOSTS[rng.below(5) as usize].to_owned(),
            HOSTS[rng.below(5) as usize].to_owned(),
        ];
    }
    if rng.below(4) == 0 {
        q.tags = vec!["a".to_owned()];
    }
    if rng.below(4) == 0 {
        // A word of one rule's name (which its output repeats): the word index answers.
        q.terms = vec![["Write", "ssh", "below"][rng.below(3) as usize].to_owned()];
    }
    q
}

async fn check(store: &falconer_webui::Store, f: &Fixture, seed: u64) {
    let mut rng = Lcg(seed);
    for i in 0..40 {
        let q = random_query(&mut rng, f.now);
        let want: u64 = f
            .alerts
            .iter()
            .filter(|(a, ts)| matches(a, *ts, &q))
            .count() as u64;
        assert_eq!(
            store.count(&q).await.expect("count"),
            want,
            "count {i}: {q:?}"
        );
        let page = store.search(&q).await.expect("search");
        assert_eq!(page.all, want, "search {i}: {q:?}");
        assert_eq!(page.events.len() as u64, want.min(7), "page {i}");
        // Newest first.
        let times: Vec<String> = page
            .events
            .iter()
            .map(|e| {
                serde_json::from_str::<Value>(e).expect("json")["time"]
                    .as_str()
                    .expect("time")
                    .to_owned()
            })
            .collect();
        let mut sorted = times.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(times, sorted, "order {i}");
        for by in GroupBy::ALL {
            let got: BTreeMap<String, u64> = store
                .count_by(&q, by)
                .await
                .expect("count by")
                .into_iter()
                .collect();
            assert_eq!(got, expected_by(f, &q, by), "count by {by:?} {i}: {q:?}");
        }
        // Every grouping at once (one read) gives what each gives alone.
        let each = store
            .count_by_each(&q, &GroupBy::ALL)
            .await
            .expect("count by each");
        assert_eq!(each.len(), GroupBy::ALL.len());
        for (by, rows) in GroupBy::ALL.iter().zip(each) {
            let got: BTreeMap<String, u64> = rows.into_iter().collect();
            assert_eq!(
                got,
                expected_by(f, &q, *by),
                "count by each {by:?} {i}: {q:?}"
            );
        }
        // The timeline over the window adds up to its events.
        let end = q.to_us.unwrap_or(f.now + 1);
        let start = q.from_us.unwrap_or(end - 4 * 86_400_000_000);
        let buckets = 1 + rng.below(30) as u32;
        let width = ((end - start) + i64::from(buckets) - 1) / i64::from(buckets);
        let cells = store
            .timeline(&q, start, width, buckets)
            .await
            .expect("timeline");
        let mut per_bucket = vec![0u64; buckets as usize];
        for (b, _, n) in &cells {
            per_bucket[*b as usize] += n;
        }
        let mut want_buckets = vec![0u64; buckets as usize];
        for (a, ts) in &f.alerts {
            let mut qq = q.clone();
            qq.from_us = Some(start.max(q.from_us.unwrap_or(i64::MIN)));
            qq.to_us = q.to_us;
            if matches(a, *ts, &qq) {
                let b = ((ts - start) / width).min(i64::from(buckets) - 1);
                if b >= 0 && (q.to_us.is_none() || *ts < start + width * i64::from(buckets)) {
                    want_buckets[b as usize] += 1;
                }
            }
        }
        assert_eq!(per_bucket, want_buckets, "timeline {i}: {q:?}");
        // Priority and source at once: each as asked alone.
        let bys = [TimelineBy::Priority, TimelineBy::Source];
        let both = store
            .timeline_each(&q, &bys, start, width, buckets)
            .await
            .expect("timeline each");
        for (by, cells) in bys.iter().zip(both) {
            let mut alone = store
                .timeline_by(&q, *by, start, width, buckets)
                .await
                .expect("timeline by");
            let mut cells = cells;
            alone.sort();
            cells.sort();
            assert_eq!(cells, alone, "timeline each {by:?} {i}: {q:?}");
        }
    }
}

async fn exact_counts(backend: Backend) {
    let ui = start_with_user(backend).await;
    let mut f = fixture();
    for chunk in f.alerts.chunks(300) {
        let batch: Vec<Arc<Alert>> = chunk.iter().map(|(a, _)| a.clone()).collect();
        assert_eq!(ui.store.insert(&batch).await.expect("insert"), 300);
    }
    check(&ui.store, &f, 7).await;

    // Retention by age and by count keeps the counts exact.
    let r: falconer_webui::Retention =
        serde_json::from_value(serde_json::json!({"maxage": "2d", "maxevents": 0}))
            .expect("retention");
    let cutoff = f.now - 2 * 86_400_000_000;
    let deleted = ui.store.retain(&r, f.now).await.expect("retain");
    let before = f.alerts.len();
    f.alerts.retain(|(_, ts)| *ts >= cutoff);
    assert_eq!(deleted as usize, before - f.alerts.len());
    let r: falconer_webui::Retention =
        serde_json::from_value(serde_json::json!({"maxage": 0, "maxevents": 600}))
            .expect("retention");
    ui.store.retain(&r, f.now).await.expect("retain");
    f.alerts.sort_by_key(|(_, ts)| *ts);
    let excess = f.alerts.len() - 600;
    f.alerts.drain(..excess);
    check(&ui.store, &f, 8).await;
    ui.cleanup().await;
}

async fn cursor_paging(backend: Backend) {
    let ui = start_with_user(backend).await;
    let batch: Vec<Arc<Alert>> = (1..=25u128)
        .map(|n| alert(n, "Notice", "Paged", "node-1", &[], n as i64 * 60))
        .collect();
    ui.store.insert(&batch).await.expect("insert");
    // The API: `next`, then `cursor`.
    let q = Query {
        limit: 10,
        ..Query::default()
    };
    let first = ui.store.search(&q).await.expect("page 1");
    let cursor = first.next.clone().expect("a full page has a next cursor");
    let second = ui
        .store
        .search(&Query {
            cursor: Some(cursor),
            ..q.clone()
        })
        .await
        .expect("page 2");
    let ids = |p: &falconer_webui::Page| -> Vec<String> {
        p.events
            .iter()
            .map(|e| {
                serde_json::from_str::<Value>(e).expect("json")["uuid"]
                    .as_str()
                    .expect("uuid")
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(ids(&second), (11..=20).map(uuid_of).collect::<Vec<_>>());
    assert_eq!(second.all, 25);
    // Events stored meanwhile do not shift the next page.
    ui.store
        .insert(&[alert(99, "Notice", "Paged", "node-1", &[], 0)])
        .await
        .expect("insert");
    let third = ui
        .store
        .search(&Query {
            cursor: second.next.clone(),
            ..q.clone()
        })
        .await
        .expect("page 3");
    assert_eq!(ids(&third), (21..=25).map(uuid_of).collect::<Vec<_>>());
    assert_eq!(third.next, None);

    // The API gives `next`; `cursor` takes it.
    let get = |path: String| {
        let url = format!("{}{path}", ui.base_url);
        async move {
            client()
                .get(url)
                .basic_auth("admin", Some(PASSWORD))
                .send()
                .await
                .expect("request")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let v = get("/api/v1/events/search?limit=10".into()).await;
    let next = v["next"].as_str().expect("next").to_owned();
    let v = get(format!("/api/v1/events/search?limit=10&cursor={next}")).await;
    assert_eq!(uuids(&v), (10..=19).map(uuid_of).collect::<Vec<_>>());
    let v = get("/api/v1/events/search?limit=100".into()).await;
    assert!(v.get("next").is_none(), "no next after the last page");

    // The events page links its next page by cursor.
    let html = client()
        .get(format!("{}/events?limit=10&since=1d", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let at = html.find("Next ›").expect("a next link");
    let href_start = html[..at].rfind("href=\"").expect("href") + 6;
    let href = html[href_start..at]
        .split('"')
        .next()
        .expect("href")
        .replace("&amp;", "&");
    assert!(href.contains("cursor="), "{href}");
    let html = client()
        .get(format!("{}{href}", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .expect("page 2")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Page 2 of 3"), "{html}");
    assert!(
        html.contains(&uuid_of(10)),
        "the 10th newest is first on page 2"
    );
    assert!(!html.contains(&uuid_of(9)));
    ui.cleanup().await;
}

mod sqlite {
    use super::*;

    #[tokio::test]
    async fn exact_counts() {
        super::exact_counts(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn cursor_paging() {
        super::cursor_paging(Backend::Sqlite).await;
    }
}

mod postgres {
    use super::*;

    #[tokio::test]
    async fn exact_counts() {
        super::exact_counts(Backend::Postgres).await;
    }

    #[tokio::test]
    async fn cursor_paging() {
        super::cursor_paging(Backend::Postgres).await;
    }
}

/// Alerts all with the same time (a replayed test alert, a bench): all stored, counted, and
/// paged through without loss or repeat.
async fn identical_times(backend: Backend) {
    let ui = start_with_user(backend).await;
    let time = "2024-05-14T09:21:07.418790000Z";
    let mk = |n: u128| {
        let json = serde_json::json!({
            "output": format!("same time {n}"), "priority": "Notice", "rule": "Same",
            "time": time, "output_fields": {"n": n as u64}, "hostname": "node-1",
        });
        falconer_testkit::enriched(&json.to_string(), n)
    };
    for chunk in (1..=2_000u128).collect::<Vec<_>>().chunks(500) {
        let batch: Vec<Arc<Alert>> = chunk.iter().map(|n| mk(*n)).collect();
        assert_eq!(ui.store.insert(&batch).await.expect("insert"), 500);
    }
    let q = Query {
        limit: 300,
        ..Query::default()
    };
    assert_eq!(ui.store.count(&q).await.expect("count"), 2_000);
    let mut seen = std::collections::HashSet::new();
    let mut cursor = None;
    loop {
        let page = ui
            .store
            .search(&Query {
                cursor: cursor.clone(),
                ..q.clone()
            })
            .await
            .expect("page");
        assert_eq!(page.all, 2_000);
        for e in &page.events {
            let v: Value = serde_json::from_str(e).expect("json");
            assert!(seen.insert(v["uuid"].as_str().expect("uuid").to_owned()));
        }
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 2_000);
    // An export of more than one internal page (1,000) follows the cursor.
    let text = client()
        .get(format!(
            "{}/api/v1/events/export?format=ndjson&limit=1500",
            ui.base_url
        ))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("body");
    let exported: std::collections::HashSet<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("json")["uuid"]
                .as_str()
                .expect("uuid")
                .to_owned()
        })
        .collect();
    assert_eq!(exported.len(), 1_500);
    let r: falconer_webui::Retention =
        serde_json::from_value(serde_json::json!({"maxage": 0, "maxevents": 500}))
            .expect("retention");
    let now = chrono::Utc::now().timestamp_micros();
    assert_eq!(ui.store.retain(&r, now).await.expect("retain"), 1_500);
    assert_eq!(ui.store.count(&q).await.expect("count"), 500);
    ui.cleanup().await;
}

#[tokio::test]
async fn identical_times_sqlite() {
    identical_times(Backend::Sqlite).await;
}

#[tokio::test]
async fn identical_times_postgres() {
    identical_times(Backend::Postgres).await;
}

/// A free-text search counts its matches exactly up to `EXACT_MATCHES`, and past it
/// extrapolates (`estimated`), both through the word index and through a substring walk;
/// the page itself stays exact.
async fn estimated_free_text_counts(backend: Backend) {
    use falconer_webui::store::EXACT_MATCHES;
    let ui = start_with_user(backend).await;
    // 24,000 alerts one second apart, every other one of rule "Write below etc".
    let total = 24_000u128;
    let alerts: Vec<Arc<Alert>> = (1..=total)
        .map(|n| {
            let rule = if n % 2 == 1 {
                "Write below etc"
            } else {
                "Read ssh"
            };
            alert(n, "Warning", rule, "node-1", &[], n as i64)
        })
        .collect();
    for chunk in alerts.chunks(500) {
        assert_eq!(ui.store.insert(chunk).await.expect("insert"), 500);
    }
    let search = |terms: &[&str]| Query {
        terms: terms.iter().map(|t| (*t).to_owned()).collect(),
        limit: 100,
        ..Query::default()
    };
    let writes = (total / 2) as u64;
    assert!(writes > EXACT_MATCHES);
    for term in ["write", "et"] {
        let page = ui.store.search(&search(&[term])).await.expect("search");
        assert!(
            page.estimated,
            "{term}: {} matches counted exactly",
            page.all
        );
        let off = page.all.abs_diff(writes) as f64 / writes as f64;
        assert!(off < 0.02, "{term}: estimated {} for {writes}", page.all);
        assert_eq!(page.events.len(), 100, "{term}");
        for (i, e) in page.events.iter().enumerate() {
            let v: Value = serde_json::from_str(e).expect("JSON");
            assert_eq!(v["rule"], "Write below etc", "{term}: event {i}");
            // Newest first: uuid numbers 1, 3, 5, … (alert n is n seconds old).
            let n = 2 * i as u128 + 1;
            assert_eq!(
                v["uuid"],
                format!("00000000-0000-0000-0000-{n:012x}"),
                "{term}"
            );
        }
        // The count endpoint stays exact.
        assert_eq!(
            ui.store.count(&search(&[term])).await.expect("count"),
            writes,
            "{term}"
        );
    }
    // A substring (two characters) of the output only, in fewer events than the cap but
    // hundreds of the newest: counted exactly past the newest events, newest first (t7 in
    // cat7, cat70-cat79, cat700-cat799, cat7000-cat7999).
    let short = search(&["t7"]);
    assert_eq!(ui.store.count(&short).await.expect("count"), 1_111);
    let page = ui.store.search(&short).await.expect("search");
    assert!(!page.estimated);
    assert_eq!((page.all, page.events.len()), (1_111, 100));
    let numbers: Vec<String> = page
        .events
        .iter()
        .map(|e| {
            let v: Value = serde_json::from_str(e).expect("JSON");
            v["output_fields"]["proc.name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let newest: Vec<String> = [7]
        .into_iter()
        .chain(70..80)
        .chain(700..789)
        .map(|n| format!("cat{n}"))
        .collect();
    assert_eq!(numbers, newest, "newest first");
    // The page after the 100th match of the range, by position.
    let mut later = search(&["t7"]);
    later.offset = 1_000;
    let page = ui.store.search(&later).await.expect("search");
    let v: Value = serde_json::from_str(&page.events[0]).expect("JSON");
    assert_eq!(v["output_fields"]["proc.name"], "cat7889");
    assert_eq!(page.events.len(), 100);
    // Fewer matches than the cap: exact (cat77, cat770-cat779, cat7700-cat7799).
    let page = ui.store.search(&search(&["cat77"])).await.expect("search");
    assert!(!page.estimated);
    assert_eq!(page.all, 111);
    // Frequent among the newest events but fewer than the cap in all: exact too (cat2,
    // cat20-cat29, cat200-cat299, cat2000-cat2999, cat20000-cat24000).
    let page = ui.store.search(&search(&["cat2"])).await.expect("search");
    assert!(!page.estimated);
    assert_eq!(page.all, 5112);
    assert_eq!(page.events.len(), 100);
    ui.cleanup().await;
}

#[tokio::test]
async fn estimated_free_text_counts_sqlite() {
    estimated_free_text_counts(Backend::Sqlite).await;
}

#[tokio::test]
async fn estimated_free_text_counts_postgres() {
    estimated_free_text_counts(Backend::Postgres).await;
}
