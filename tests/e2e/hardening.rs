//! The hostile client against the built binary (issue: hardening): idle and half-open
//! connection floods under a low open-files limit, on the ingest port and on the UI port,
//! while Falco keeps posting alerts that must still be answered 200 and delivered.

use std::time::{Duration, Instant};

use falconer_testkit::{RecordingSink, CONFIGMAP_ALERT};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::harness::{free_port, metric, Falconer};

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// Opens `n` connections to `port` that send nothing, or only half an HTTP/2 preface.
async fn flood(port: u16, n: usize) -> Vec<TcpStream> {
    let mut held = Vec::with_capacity(n);
    for i in 0..n {
        match TcpStream::connect(("127.0.0.1", port)).await {
            Ok(mut s) => {
                if i % 2 == 1 {
                    let _ = s.write_all(b"PRI * HTTP/2.0\r\n").await;
                }
                held.push(s);
            }
            Err(_) => break,
        }
    }
    held
}

/// Posts one alert on a fresh connection (as a Falco that just reconnected would) and
/// returns its status and latency.
async fn post_fresh(url: &str, body: &str) -> (u16, Duration) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let started = Instant::now();
    let status = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .map_or(0, |r| r.status().as_u16());
    (status, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_floods_on_ingest_and_ui_under_256_fds_do_not_lock_out_falco() {
    let sink = RecordingSink::start().await;
    let ui_port = free_port();
    let yaml = format!(
        r#"
ingest:
  headertimeout: 3s
ui:
  listenaddress: 127.0.0.1
  listenport: {ui_port}
  headertimeout: 3s
  auth:
    disabled: true
outputs:
  - name: hook
    type: webhook
    address: {}
"#,
        sink.url("/hook")
    );
    let falconer = Falconer::start_with_nofile(&yaml, &[], 256).await;
    let pid = falconer.pid();
    let fds_before = open_fds(pid);

    // 300 idle or half-open sockets at each port: more than the process has descriptors.
    let ingest_flood = flood(falconer.port, 300).await;
    let ui_flood = flood(ui_port, 300).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fds_during = open_fds(pid);

    // Falco keeps sending, on fresh connections, while the flood holds.
    let url = falconer.url("/");
    let mut latencies = Vec::new();
    for _ in 0..20 {
        let (status, took) = post_fresh(&url, CONFIGMAP_ALERT).await;
        assert_eq!(status, 200, "an alert during the flood was not accepted");
        latencies.push(took);
    }
    let delivered = sink.wait_for(20, Duration::from_secs(20)).await.len();
    assert_eq!(
        delivered, 20,
        "every alert sent during the flood is delivered"
    );
    let ui = reqwest::get(format!("http://127.0.0.1:{ui_port}/api/v1/healthz"))
        .await
        .map_or(0, |r| r.status().as_u16());
    assert_eq!(ui, 200, "the UI still answers during the flood");

    // The flood's sockets are closed by the header timeout.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let fds_after = open_fds(pid);
    let metrics = falconer.metrics().await;
    let evicted = metric(
        &metrics,
        r#"falconer_connections_closed_total{listener="ingest",reason="evicted"}"#,
    );
    let timed_out = metric(
        &metrics,
        r#"falconer_connections_closed_total{listener="ingest",reason="header_timeout"}"#,
    );
    let ui_timed_out = metric(
        &metrics,
        r#"falconer_connections_closed_total{listener="ui",reason="header_timeout"}"#,
    );
    latencies.sort();
    println!(
        "nofile 256: fds before {fds_before}, during the flood {fds_during} (held by the attacker: ingest {}, ui {}), after {fds_after}; \
         alert latency p50 {:?} max {:?}; ingest evicted {evicted}, closed at header timeout {timed_out}; ui closed at header timeout {ui_timed_out}",
        ingest_flood.len(),
        ui_flood.len(),
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1],
    );
    assert!(fds_during < 256, "the process stays under its limit");
    assert!(timed_out + evicted >= 100.0, "the ingest flood was closed");
    assert!(ui_timed_out >= 10.0, "the UI flood was closed");
    assert!(fds_after <= fds_before + 10, "the flood's sockets are gone");
    drop(ingest_flood);
    drop(ui_flood);
    let (ok, log) = falconer.terminate();
    assert!(ok, "{log}");
    assert!(!log.contains("Too many open files"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_and_counted() {
    let yaml = "ingest:\n  idletimeout: 1s\noutputs:\n  - name: d\n    type: null\n";
    let falconer = Falconer::start(yaml, &[]).await;
    let mut conn = TcpStream::connect(("127.0.0.1", falconer.port))
        .await
        .expect("connect");
    conn.write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut buf = vec![0u8; 1024];
    let started = Instant::now();
    use tokio::io::AsyncReadExt;
    let n = conn.read(&mut buf).await.expect("answer");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if matches!(conn.read(&mut buf).await, Ok(0) | Err(_)) {
                return;
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "closed after the idle timeout");
    assert!(started.elapsed() >= Duration::from_millis(900));
    let metrics = falconer.metrics().await;
    assert_eq!(
        metric(
            &metrics,
            r#"falconer_connections_closed_total{listener="ingest",reason="idle_timeout"}"#
        ),
        1.0
    );
}
