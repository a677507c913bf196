//! Delivery guarantees end to end: the real binary, a destination that goes away and comes
//! back, SIGKILL with a spool, a burst into a full queue, and `falconer replay`.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use falconer_testkit::{RecordingSink, Reply, CONFIGMAP_ALERT};

use crate::harness::{free_port, metric, Falconer, TempDir};

const WAIT: Duration = Duration::from_secs(30);

fn webhook_config(port: u16, extra: &str) -> String {
    format!(
        r#"
outputs:
  - name: hook
    type: webhook
    address: http://127.0.0.1:{port}/falco
    retry:
      initialbackoff: 20ms
      maxbackoff: 200ms
    breaker:
      failures: 3
      cooldown: 200ms
{extra}"#
    )
}

async fn wait_metric(f: &Falconer, series: &str, at_least: f64) {
    wait_until(f, series, |v| v >= at_least, &format!(">= {at_least}")).await;
}

async fn wait_until(f: &Falconer, series: &str, ok: impl Fn(f64) -> bool, expected: &str) {
    let started = Instant::now();
    loop {
        let value = metric(&f.metrics().await, series);
        if ok(value) {
            return;
        }
        assert!(
            started.elapsed() < WAIT,
            "{series} stayed at {value}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn post_n(f: &Falconer, n: usize) {
    for _ in 0..n {
        assert_eq!(f.post("/", CONFIGMAP_ALERT).await, (200, String::new()));
    }
}

fn uuids_at(sink: &RecordingSink) -> (usize, BTreeSet<String>) {
    let requests = sink.requests();
    let unique = requests
        .iter()
        .filter_map(|r| r.json()["uuid"].as_str().map(str::to_owned))
        .collect();
    (requests.len(), unique)
}

fn dead_letter_uuids(dir: &Path) -> Vec<String> {
    let path = dir.join("falconer-data").join("deadletter.jsonl");
    std::fs::read_to_string(&path)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("dead letter is JSON");
            v["alert"]["uuid"].as_str().expect("uuid").to_owned()
        })
        .collect()
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_spool_an_outage_loses_nothing_and_duplicates_nothing() {
    let dir = TempDir::new("spool-outage");
    let port = free_port(); // nothing listens: connection refused
    let yaml = webhook_config(port, "    spool:\n      enabled: true\n");
    let f = Falconer::start_in(&dir.0, &yaml, &[]).await;
    post_n(&f, 40).await;
    wait_metric(
        &f,
        r#"falconer_output_breaker_state{kind="webhook",output="hook"}"#,
        1.0,
    )
    .await;
    let spooled = metric(
        &f.metrics().await,
        r#"falconer_output_spool_bytes{kind="webhook",output="hook"}"#,
    );
    assert!(spooled > 0.0, "alerts wait in the spool");

    // The destination comes back on its port.
    let sink = RecordingSink::start_on(loopback(port)).await;
    sink.wait_for(40, WAIT).await;
    wait_metric(
        &f,
        r#"falconer_output_deliveries_total{kind="webhook",output="hook",status="ok"}"#,
        40.0,
    )
    .await;
    let (requests, unique) = uuids_at(&sink);
    assert_eq!(
        (requests, unique.len()),
        (40, 40),
        "each alert exactly once"
    );
    // Acknowledgements reach the spool shortly after delivery.
    wait_until(
        &f,
        r#"falconer_output_spool_bytes{kind="webhook",output="hook"}"#,
        |v| v == 0.0,
        "0",
    )
    .await;
    let m = f.metrics().await;
    assert!(!m.contains("falconer_output_dropped_total{"), "{m}");
    assert!(dead_letter_uuids(&dir.0).is_empty());
    let (ok, _) = f.terminate();
    assert!(ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_spool_every_missing_alert_is_a_dead_letter_and_replay_sends_it() {
    let dir = TempDir::new("dead-letters");
    let port = free_port();
    let yaml = webhook_config(
        port,
        "    retry:\n      maxattempts: 3\n      initialbackoff: 10ms\n      maxbackoff: 50ms\n",
    );
    let f = Falconer::start_in(&dir.0, &yaml, &[]).await;
    post_n(&f, 25).await;
    wait_metric(
        &f,
        r#"falconer_output_dead_letters_total{kind="webhook",output="hook",reason="retries_exhausted"}"#,
        25.0,
    )
    .await;
    let m = f.metrics().await;
    assert_eq!(
        metric(
            &m,
            r#"falconer_output_dropped_total{kind="webhook",output="hook",reason="retries_exhausted"}"#
        ),
        25.0
    );
    assert_eq!(
        metric(
            &m,
            r#"falconer_output_errors_total{error="connect",kind="webhook",output="hook"}"#
        ),
        75.0,
        "3 attempts each"
    );
    let (ok, _) = f.terminate();
    assert!(ok);
    let letters = dead_letter_uuids(&dir.0);
    assert_eq!(letters.iter().collect::<BTreeSet<_>>().len(), 25);

    // Back up: replay sends every dead letter, with its original UUID.
    let sink = RecordingSink::start_on(loopback(port)).await;
    let out = std::process::Command::new(crate::harness::binary())
        .args(["-c", "config.yaml", "replay", "--output", "hook"])
        .arg(dir.0.join("falconer-data/deadletter.jsonl"))
        .current_dir(&dir.0)
        .env_clear()
        .output()
        .expect("replay runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("25 dead letter(s) for hook: 25 delivered, 0 failed"),
        "{stdout}"
    );
    let (requests, unique) = uuids_at(&sink);
    assert_eq!(requests, 25);
    assert_eq!(unique, letters.into_iter().collect());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spooled_alerts_survive_sigkill_and_are_delivered_after_restart() {
    let dir = TempDir::new("sigkill");
    let port = free_port();
    let yaml = webhook_config(port, "    spool:\n      enabled: true\n");
    let f = Falconer::start_in(&dir.0, &yaml, &[]).await;
    post_n(&f, 30).await;
    // Every 200 was given after the alert was on disk: kill without any chance to flush.
    f.kill();

    let sink = RecordingSink::start_on(loopback(port)).await;
    let f = Falconer::start_in(&dir.0, &yaml, &[]).await;
    sink.wait_for(30, WAIT).await;
    let (requests, unique) = uuids_at(&sink);
    assert_eq!(unique.len(), 30, "every spooled alert delivered");
    assert_eq!(
        requests, 30,
        "nothing was delivered before the kill, so no duplicate"
    );
    let (ok, stderr) = f.terminate();
    assert!(ok);
    assert!(
        stderr.contains("Replaying alerts left in the spool"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_into_a_full_queue_is_counted_dead_lettered_and_bounded() {
    let dir = TempDir::new("burst");
    let sink = RecordingSink::start().await;
    sink.fallback(Reply::status(200).delay(Duration::from_secs(3600)));
    let yaml = format!(
        "outputs:\n  - name: hook\n    type: webhook\n    address: {}\n    timeout: 1h\n    queue:\n      capacity: 100\n",
        sink.url("/falco")
    );
    let f = Falconer::start_in(&dir.0, &yaml, &[]).await;
    let burst = 3000;
    let client = reqwest::Client::new();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let client = client.clone();
        let url = f.url("/");
        tasks.spawn(async move {
            for _ in 0..burst / 8 {
                let r = client
                    .post(&url)
                    .body(CONFIGMAP_ALERT)
                    .send()
                    .await
                    .expect("sent");
                assert_eq!(r.status(), 200);
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("burst task");
    }
    let m = f.metrics().await;
    let queued = metric(
        &m,
        r#"falconer_output_queue_depth{kind="webhook",output="hook"}"#,
    );
    let in_flight = metric(
        &m,
        r#"falconer_output_in_flight{kind="webhook",output="hook"}"#,
    );
    let dropped = metric(
        &m,
        r#"falconer_output_dropped_total{kind="webhook",output="hook",reason="queue_full"}"#,
    );
    assert_eq!(queued, 100.0, "the queue holds its capacity, no more");
    assert_eq!(
        queued + in_flight + dropped,
        f64::from(burst as u32 / 8 * 8)
    );
    wait_metric(
        &f,
        r#"falconer_output_dead_letters_total{kind="webhook",output="hook",reason="queue_full"}"#,
        dropped,
    )
    .await;
    // The count comes when a dead letter is handed to the writer thread; the file gets it
    // at the thread's next write and sync. Wait for that before the kill below.
    for _ in 0..100 {
        if dead_letter_uuids(&dir.0).len() as f64 >= dropped {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Memory stays bounded: well under what 3000 queued alerts plus their copies would take.
    let status = std::fs::read_to_string(format!("/proc/{}/status", f.pid())).unwrap_or_default();
    let rss_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    assert!(rss_kib > 0 && rss_kib < 100 * 1024, "RSS {rss_kib} KiB");
    drop(f);
    let letters = dead_letter_uuids(&dir.0);
    assert_eq!(letters.len() as f64, dropped);
}
