//! A sender that invents a rule, hostname and pod per alert cannot grow memory or `/metrics`
//! without bound: the alert-driven families stop at `prometheus.maxseries` series each.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::Falconer;

/// Alerts posted, each with its own rule, hostname and pod.
const ALERTS: usize = 100_000;
/// Keep-alive connections they are posted over.
const CONNECTIONS: usize = 4;
/// The default `prometheus.maxseries`.
const MAX_SERIES: u64 = 5000;
/// Bounds with the default cap (unbounded, 100,000 label sets took the RSS well past them).
const MAX_RSS_BYTES: u64 = 150 * 1024 * 1024;
const MAX_METRICS_BYTES: usize = 2 * 1024 * 1024;
/// Time the posting may take on a loaded 2-core machine (a debug build).
const POST_TIME: Duration = Duration::from_secs(240);

fn alert(i: usize) -> String {
    format!(
        concat!(
            r#"{{"hostname":"node-{i:06}.cluster.example","output":"x","priority":"Warning","#,
            r#""rule":"Invented rule number {i:06} to grow the metric families","#,
            r#""time":"2024-05-14T09:21:07.418790000Z","source":"syscall","#,
            r#""output_fields":{{"k8s.ns.name":"ns-{i:06}","k8s.pod.name":"pod-{i:06}-7d9c"}}}}"#
        ),
        i = i
    )
}

fn vm_rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS line");
    kib * 1024
}

fn sample(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

fn series_count(text: &str, family: &str) -> usize {
    let prefix = format!("{family}{{");
    text.lines().filter(|l| l.starts_with(&prefix)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distinct_rules_and_hostnames_do_not_grow_metrics_without_bound() {
    let f =
        Arc::new(Falconer::start("outputs:\n  - name: discard\n    type: \"null\"\n", &[]).await);
    let rss_at_start = vm_rss_bytes(f.pid());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            // One client, used sequentially: one keep-alive connection.
            let client = reqwest::Client::new();
            let url = f.url("/");
            for i in (c..ALERTS).step_by(CONNECTIONS) {
                let r = client.post(&url).body(alert(i)).send().await.expect("post");
                assert_eq!(r.status(), 200, "alert {i}");
                assert!(started.elapsed() < POST_TIME, "posting took too long");
            }
        }));
    }
    for t in tasks {
        t.await.expect("poster");
    }
    let posting = started.elapsed();

    let metrics = f.metrics().await;
    let rss = vm_rss_bytes(f.pid());
    let events = "falcosecurity_falcosidekick_falco_events_total";
    let alerts = "falconer_alerts_total";
    println!(
        "{ALERTS} alerts with distinct rules/hostnames/pods in {posting:.1?}: VmRSS {:.1} MiB \
         (at start {:.1} MiB), /metrics {} bytes, {} falco_events series, {} alerts series",
        rss as f64 / 1048576.0,
        rss_at_start as f64 / 1048576.0,
        metrics.len(),
        series_count(&metrics, events),
        series_count(&metrics, alerts),
    );

    let excess = ALERTS as u64 - MAX_SERIES;
    for family in [events, alerts] {
        assert_eq!(
            series_count(&metrics, family) as u64,
            MAX_SERIES + 1,
            "{family}: the cap plus one `other` series"
        );
        let folded = format!(r#"falconer_metrics_series_folded_total{{family="{family}"}}"#);
        assert_eq!(sample(&metrics, &folded), excess, "{folded}");
    }
    assert_eq!(
        sample(
            &metrics,
            r#"falconer_alerts_total{priority="warning",rule="other",source="syscall"}"#
        ),
        excess
    );
    assert!(
        metrics.len() < MAX_METRICS_BYTES,
        "/metrics is {} bytes",
        metrics.len()
    );
    assert!(rss < MAX_RSS_BYTES, "VmRSS is {rss} bytes");
    promtool_check(&metrics);
}

/// `promtool check metrics` accepts the scrape, `other` series included.
fn promtool_check(metrics: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is required (Debian package `prometheus`; scripts/test.sh installs it)");
    let mut stdin = promtool.stdin.take().expect("stdin");
    stdin
        .write_all(metrics.as_bytes())
        .expect("write to promtool");
    drop(stdin);
    let out = promtool.wait_with_output().expect("promtool");
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
