//! Issue 16 against the binary: a flood of wrong passwords on the UI (64 clients, each from
//! its own loopback address, rotating user names, for 5 s) while alerts flow through
//! ingest. Memory stays bounded (password checks are capped at `maxverifications`), every
//! alert is answered 200 and delivered, and a signed-in user keeps using the UI.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use falconer_testkit::{RecordingSink, CONFIGMAP_ALERT};

use crate::harness::{binary, free_port, Falconer};

/// Flooding clients, each on its own source address (127.0.0.2 …).
const CLIENTS: u8 = 64;
/// How long the flood lasts.
const FLOOD: Duration = Duration::from_secs(5);
/// Requests per flooding client at most (bounds the test whatever the answers' speed).
const PER_CLIENT: usize = 2_000;
/// Resident memory the process must stay under during the flood.
const RSS_BOUND_KIB: u64 = 300 * 1024;
/// The UI password.
const PASSWORD: &str = "s3cret-pass";

/// `falconer ui hash-password` (argon2id, ~19 MiB per check: the cost the flood aims at).
fn hash(password: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(binary())
        .args(["ui", "hash-password"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("falconer runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write the password");
    let out = child.wait_with_output().expect("falconer exits");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// VmRSS of `pid` in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn form(user: &str, password: &str) -> String {
    format!("username={user}&password={password}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hardening_ui_password_flood_keeps_memory_bounded_and_alerts_flowing() {
    let sink = RecordingSink::start().await;
    let ui_port = free_port();
    let yaml = format!(
        r#"
ui:
  listenaddress: 127.0.0.1
  listenport: {ui_port}
  auth:
    users:
      - username: admin
        password: "{}"
outputs:
  - name: hook
    type: webhook
    address: {}
"#,
        hash(PASSWORD),
        sink.url("/falco")
    );
    let f = Falconer::start(&yaml, &[]).await;
    let pid = f.pid();
    let ui = format!("http://127.0.0.1:{ui_port}");
    let me = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    // Before the flood: a user signs in (session cookie), an API client uses basic auth.
    let login = me
        .post(format!("{ui}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form("admin", PASSWORD))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 303);
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let count = format!("{ui}/api/v1/events/count");
    let basic = me
        .get(&count)
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .expect("basic");
    assert_eq!(basic.status(), 200);
    let rss_before = rss_kib(pid);

    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(rss_before));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    // The flood: wrong passwords for admin and for invented users, basic auth and the form.
    let statuses = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
    // Clients first (building one takes a while in a debug build), then the clock starts.
    let clients: Vec<reqwest::Client> = (0..CLIENTS)
        .map(|n| {
            reqwest::Client::builder()
                .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + n)))
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client")
        })
        .collect();
    let ingest = reqwest::Client::new();
    let started = Instant::now();
    let mut flood = Vec::new();
    for (n, client) in clients.into_iter().enumerate() {
        let (ui, statuses) = (ui.clone(), statuses.clone());
        flood.push(tokio::spawn(async move {
            for i in 0..PER_CLIENT {
                if started.elapsed() >= FLOOD {
                    break;
                }
                let user = if i % 2 == 0 {
                    "admin".to_owned()
                } else {
                    format!("user-{n}-{i}")
                };
                let password = format!("wrong-{i}");
                let request = if i % 3 == 0 {
                    client
                        .post(format!("{ui}/login"))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(form(&user, &password))
                } else {
                    client
                        .get(format!("{ui}/api/v1/events/count"))
                        .basic_auth(&user, Some(&password))
                };
                let key = match request.send().await {
                    Ok(res) => res.status().as_u16().to_string(),
                    Err(e) if e.is_timeout() => "timeout".to_owned(),
                    Err(_) => "connection error".to_owned(),
                };
                *statuses.lock().expect("statuses").entry(key).or_default() += 1;
            }
        }));
    }

    // Alerts through ingest meanwhile, two senders.
    let latencies = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let mut senders = Vec::new();
    for _ in 0..2 {
        let (url, latencies, client) = (f.url("/"), latencies.clone(), ingest.clone());
        senders.push(tokio::spawn(async move {
            let mut bad = Vec::new();
            while started.elapsed() < FLOOD {
                let sent = Instant::now();
                let status = client
                    .post(&url)
                    .body(CONFIGMAP_ALERT)
                    .send()
                    .await
                    .map(|r| r.status().as_u16());
                latencies.lock().expect("latencies").push(sent.elapsed());
                if status.as_ref().ok() != Some(&200) {
                    bad.push(format!("{status:?}"));
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            bad
        }));
    }

    // Halfway: the signed-in user and the API client still get in.
    tokio::time::sleep(FLOOD / 2).await;
    let during = Instant::now();
    let page = me
        .get(format!("{ui}/events"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("events page");
    assert_eq!(page.status(), 200, "session during the flood");
    let session_took = during.elapsed();
    let mut api_status = 0;
    let during = Instant::now();
    for _ in 0..5 {
        let res = me
            .get(&count)
            .basic_auth("admin", Some(PASSWORD))
            .send()
            .await
            .expect("basic during flood");
        api_status = res.status().as_u16();
        if api_status != 429 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(api_status, 200, "basic auth during the flood");
    let api_took = during.elapsed();

    for task in flood {
        task.await.expect("flood client");
    }
    let mut refused = Vec::new();
    for task in senders {
        refused.extend(task.await.expect("sender"));
    }
    let flood_took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    sampler.await.expect("sampler");
    let peak_kib = peak.load(Ordering::Relaxed).max(rss_kib(pid));

    let mut lat = latencies.lock().expect("latencies").clone();
    lat.sort();
    let sent = lat.len();
    let delivered = sink.wait_for(sent, Duration::from_secs(30)).await.len();
    let statuses = statuses.lock().expect("statuses").clone();
    let metrics = f.metrics().await;
    let series = |name: &str| {
        metrics
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    println!("flood: {CLIENTS} clients for {flood_took:?}; UI answers {statuses:?}");
    println!(
        "RSS: {} MiB before, peak {} MiB (bound {} MiB)",
        rss_before / 1024,
        peak_kib / 1024,
        RSS_BOUND_KIB / 1024
    );
    println!(
        "alerts: {sent} sent, {delivered} delivered; latency p50 {:?}, p99 {:?}, max {:?}",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or_default()
    );
    println!("during the flood: session page in {session_took:?}, basic-auth API in {api_took:?}");
    println!(
        "metrics: failures bad_credentials {} unknown_user {}; refused busy {} backoff {}",
        series("falconer_ui_auth_failures_total{reason=\"bad_credentials\"}"),
        series("falconer_ui_auth_failures_total{reason=\"unknown_user\"}"),
        series("falconer_ui_auth_refused_total{reason=\"busy\"}"),
        series("falconer_ui_auth_refused_total{reason=\"backoff\"}"),
    );

    assert!(
        peak_kib < RSS_BOUND_KIB,
        "peak RSS {peak_kib} KiB over {RSS_BOUND_KIB} KiB"
    );
    assert!(refused.is_empty(), "alerts not answered 200: {refused:?}");
    assert!(sent > 0);
    assert_eq!(delivered, sent, "every alert delivered");
    assert!(
        statuses.get("429").copied().unwrap_or(0) > 0,
        "the flood was throttled: {statuses:?}"
    );
    assert!(
        statuses.keys().all(|k| k == "401" || k == "429"),
        "only 401 and 429: {statuses:?}"
    );
    assert!(series("falconer_ui_auth_refused_total{reason=\"busy\"}") > 0.0);
    let (ok, logs) = f.terminate();
    assert!(ok, "{logs}");
    assert!(
        !logs.contains("wrong-1") && logs.contains("web UI sign-in failed"),
        "failures logged without passwords"
    );
}
