//! The alert policy through the binary: a routing tree across a recording sink and Redis,
//! a throttle's summary, a silence, `falconer route`, and live reload (file watch, a refused
//! file, SIGHUP and `POST /-/reload` while alerts flow).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use falconer_testkit::{RecordingSink, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{binary, metric, Falconer, TempDir};

/// One RESP command to the local Redis; the reply's bulk strings.
async fn redis(args: &[&str]) -> Vec<String> {
    let mut conn = TcpStream::connect(("127.0.0.1", 6379))
        .await
        .expect("Redis on 127.0.0.1:6379");
    let mut cmd = format!("*{}\r\n", args.len());
    for a in args {
        cmd.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    conn.write_all(cmd.as_bytes()).await.expect("write");
    let mut reply = Vec::new();
    let mut buf = [0u8; 65536];
    // Read until the reply is complete: an integer, or an array whose items all arrived.
    loop {
        let n = conn.read(&mut buf).await.expect("read");
        reply.extend_from_slice(&buf[..n]);
        if n == 0 || complete(&reply) {
            break;
        }
    }
    parse_bulk(&reply)
}

fn complete(reply: &[u8]) -> bool {
    let text = String::from_utf8_lossy(reply);
    if !text.starts_with('*') {
        return text.ends_with("\r\n");
    }
    let Some((count, _)) = text[1..].split_once("\r\n") else {
        return false;
    };
    let count: usize = count.parse().unwrap_or(0);
    parse_bulk(reply).len() == count
}

fn parse_bulk(reply: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(reply);
    let mut items = Vec::new();
    let mut rest = text.as_ref();
    while let Some(i) = rest.find('$') {
        rest = &rest[i + 1..];
        let Some((len, after)) = rest.split_once("\r\n") else {
            break;
        };
        let Ok(len) = len.parse::<usize>() else {
            break;
        };
        if after.len() < len {
            break;
        }
        items.push(after[..len].to_owned());
        rest = &after[len..];
    }
    items
}

fn with(alert: &str, changes: Value) -> String {
    let mut a: Value = serde_json::from_str(alert).expect("alert");
    if let (Some(a), Some(c)) = (a.as_object_mut(), changes.as_object()) {
        for (k, v) in c {
            a.insert(k.clone(), v.clone());
        }
    }
    a.to_string()
}

fn routing_config(sink: &RecordingSink, redis_key: &str) -> String {
    format!(
        r#"
routes:
  - match: 'source = k8s_audit and ka.target.resource = configmaps'
    outputs: [slack-payments]
    continue: true
  - match: 'priority >= critical'
    outputs: [pagerduty]
defaultroute: [secops]
silences:
  - match: 'rule = "Known backup job"'
    endsat: 2099-01-01T00:00:00Z
    createdby: ops
    comment: nightly backup
outputs:
  - name: slack-payments
    type: webhook
    address: {payments}
  - name: pagerduty
    type: webhook
    address: {pager}
  - name: secops
    type: redis
    address: 127.0.0.1:6379
    key: {redis_key}
  - name: shells
    type: webhook
    address: {shells}
    match: 'rule = "Terminal shell in container"'
    throttle:
      max: 1
      window: 2s
"#,
        payments = sink.url("/payments"),
        pager = sink.url("/pager"),
        shells = sink.url("/shells"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_routing_tree_sends_each_alert_where_it_belongs_across_a_sink_and_redis() {
    let sink = RecordingSink::start().await;
    let redis_key = format!("falconer-e2e-routes-{}", std::process::id());
    redis(&["DEL", &redis_key]).await;
    let falconer = Falconer::start(&routing_config(&sink, &redis_key), &[]).await;

    let critical = with(
        SHELL_ALERT,
        json!({"rule": "Write below etc", "priority": "Critical"}),
    );
    let silenced = with(
        SHELL_ALERT,
        json!({"rule": "Known backup job", "priority": "Critical"}),
    );
    let notice = with(SHELL_ALERT, json!({"rule": "Read sensitive file"}));
    for body in [
        CONFIGMAP_ALERT,
        critical.as_str(),
        silenced.as_str(),
        notice.as_str(),
        SHELL_ALERT,
        SHELL_ALERT,
        SHELL_ALERT,
    ] {
        assert_eq!(falconer.post("/", body.to_owned()).await.0, 200);
    }
    // 1 payments + 1 pager + 1 shell now, and the shell summary when its 2 s window closes.
    let got = sink.wait_for(4, Duration::from_secs(10)).await;
    let by_path = |path: &str| -> Vec<Value> {
        got.iter()
            .filter(|r| r.path == path)
            .map(|r| r.json())
            .collect()
    };
    let payments = by_path("/payments");
    assert_eq!(payments.len(), 1);
    assert_eq!(
        payments[0]["rule"],
        "Create/Modify Configmap With Private Credentials"
    );
    let pager = by_path("/pager");
    assert_eq!(pager.len(), 1, "the silenced Critical alert is held back");
    assert_eq!(pager[0]["rule"], "Write below etc");
    let shells = by_path("/shells");
    assert_eq!(shells.len(), 2, "{shells:?}");
    assert_eq!(shells[0]["rule"], "Terminal shell in container");
    assert_eq!(shells[1]["output_fields"]["falconer.suppressed"], 2);
    assert_eq!(shells[1]["output_fields"]["falconer.reason"], "throttle");

    // No route matched the notice and the three shells: defaultroute (Redis) got them.
    let mut stored = Vec::new();
    for _ in 0..100 {
        stored = redis(&["LRANGE", &redis_key, "0", "-1"]).await;
        if stored.len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rules: Vec<String> = stored
        .iter()
        .map(|s| {
            serde_json::from_str::<Value>(s).expect("json")["rule"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        rules,
        [
            "Read sensitive file",
            "Terminal shell in container",
            "Terminal shell in container",
            "Terminal shell in container"
        ]
    );
    let metrics = falconer.metrics().await;
    assert_eq!(
        metric(
            &metrics,
            r#"falconer_alerts_suppressed_total{kind="webhook",output="pagerduty",reason="silenced"}"#
        ),
        1.0
    );
    assert_eq!(
        metric(
            &metrics,
            r#"falconer_alerts_suppressed_total{kind="webhook",output="shells",reason="throttle"}"#
        ),
        2.0
    );
    redis(&["DEL", &redis_key]).await;
    let (ok, log) = falconer.terminate();
    assert!(ok, "{log}");
}

#[test]
fn falconer_route_explains_three_alerts() {
    let dir = TempDir::new("route");
    let sink_url = "http://127.0.0.1:9/x";
    let config = format!(
        r#"
routes:
  - match: 'source = k8s_audit and ka.target.resource = configmaps'
    outputs: [slack-payments]
    continue: true
  - match: 'priority >= critical'
    outputs: [pagerduty]
defaultroute: [slack-secops]
silences:
  - match: 'rule = "Known backup job"'
    endsat: 2099-01-01T00:00:00Z
    comment: nightly backup
outputs:
  - {{name: slack-payments, type: webhook, address: "{sink_url}"}}
  - {{name: pagerduty, type: webhook, address: "{sink_url}", minimumpriority: critical}}
  - {{name: slack-secops, type: webhook, address: "{sink_url}"}}
  - name: shells
    type: webhook
    address: "{sink_url}"
    match: 'rule = "Terminal shell in container" and k8s.ns.name != kube-system'
    throttle: {{max: 1, window: 10m}}
"#
    );
    let config_path = dir.0.join("config.yaml");
    std::fs::write(&config_path, config).expect("config");
    let alerts = [
        ("configmap", CONFIGMAP_ALERT.to_owned()),
        ("shell", SHELL_ALERT.to_owned()),
        (
            "silenced",
            with(
                SHELL_ALERT,
                json!({"rule": "Known backup job", "priority": "Critical"}),
            ),
        ),
    ];
    let mut outputs = BTreeMap::new();
    for (name, body) in &alerts {
        let path = dir.0.join(format!("{name}.json"));
        std::fs::write(&path, body).expect("alert");
        let out = std::process::Command::new(binary())
            .arg("route")
            .arg("-c")
            .arg(&config_path)
            .arg(&path)
            .env_clear()
            .output()
            .expect("falconer route");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        println!("$ falconer route -c config.yaml {name}.json\n{text}");
        outputs.insert(*name, text);
    }
    let line = |alert: &str, output: &str| -> String {
        outputs[alert]
            .lines()
            .find(|l| l.starts_with(output))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(line("configmap", "slack-payments").contains("sent (via routes[0])"));
    assert!(line("configmap", "pagerduty").contains("not sent"));
    assert!(line("configmap", "slack-secops").contains("not sent: no route that matched names it"));
    assert!(line("configmap", "shells").contains("its match failed at"));
    assert!(line("shell", "slack-secops").contains("sent (via defaultroute)"));
    assert!(line("shell", "shells").contains("sent; subject to throttle"));
    assert!(line("silenced", "pagerduty").contains("not sent: silenced by config-0"));
    assert!(line("silenced", "pagerduty").contains("nightly backup"));

    // `-` reads the alert from standard input.
    let mut child = std::process::Command::new(binary())
        .args(["route", "-c"])
        .arg(&config_path)
        .arg("-")
        .env_clear()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(CONFIGMAP_ALERT.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("route");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), outputs["configmap"]);
}

/// An accepted alert: its sequence number, whether it was a Warning, and the reload epoch
/// before it was sent and after it was answered.
type Sent = (u64, bool, u64, u64);

fn reload_config(sinks: &[RecordingSink; 3], version: usize) -> String {
    // Even versions: a (warning and above) and b. Odd: a (everything) and c; b removed.
    let (a, b, c) = (sinks[0].url("/a"), sinks[1].url("/b"), sinks[2].url("/c"));
    let head =
        "reload:\n  watch: false\n  token: e2e-reload-token\nshutdown:\n  graceperiod: 20s\n";
    if version % 2 == 0 {
        format!(
            "{head}outputs:\n  - {{name: a, type: webhook, address: \"{a}\", match: 'priority >= warning'}}\n  - {{name: b, type: webhook, address: \"{b}\"}}\n"
        )
    } else {
        format!(
            "{head}outputs:\n  - {{name: a, type: webhook, address: \"{a}\"}}\n  - {{name: c, type: webhook, address: \"{c}\"}}\n"
        )
    }
}

/// Which outputs a version of [`reload_config`] selects for an alert of `priority`.
fn selected(version: usize, warning: bool) -> BTreeSet<&'static str> {
    match (version % 2, warning) {
        (0, true) => ["a", "b"].into(),
        (0, false) => ["b"].into(),
        (_, _) => ["a", "c"].into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_reloads_while_alerts_flow_deliver_every_alert_by_the_config_in_force() {
    let sinks = [
        RecordingSink::start().await,
        RecordingSink::start().await,
        RecordingSink::start().await,
    ];
    let dir = TempDir::new("reload");
    let falconer = Falconer::start_in(&dir.0, &reload_config(&sinks, 0), &[]).await;
    let config_path = dir.0.join("config.yaml");
    let url = falconer.url("/");
    // Bumped before a reload starts and after it returns: an alert sent and answered within
    // one even epoch saw exactly that epoch's config.
    let epoch = Arc::new(AtomicU64::new(0));
    let sent: Arc<Mutex<Vec<Sent>>> = Arc::default();
    let stop = Arc::new(tokio::sync::Notify::new());
    let sender = {
        let (epoch, sent, stop, url) = (epoch.clone(), sent.clone(), stop.clone(), url.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut seq = 0u64;
            loop {
                let warning = seq % 2 == 0;
                let body = with(
                    SHELL_ALERT,
                    json!({
                        "priority": if warning { "Warning" } else { "Notice" },
                        "output_fields": {"seq": seq},
                    }),
                );
                let before = epoch.load(Ordering::SeqCst);
                let status = client
                    .post(&url)
                    .body(body)
                    .send()
                    .await
                    .map_or(0, |r| r.status().as_u16());
                let after = epoch.load(Ordering::SeqCst);
                if status == 200 {
                    sent.lock()
                        .expect("sent")
                        .push((seq, warning, before, after));
                }
                seq += 1;
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(4)) => {}
                    () = stop.notified() => return,
                }
            }
        })
    };
    let client = reqwest::Client::new();
    for version in 1..=10 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        epoch.fetch_add(1, Ordering::SeqCst);
        std::fs::write(&config_path, reload_config(&sinks, version)).expect("config");
        if version % 2 == 1 {
            let answer = client
                .post(falconer.url("/-/reload"))
                .bearer_auth("e2e-reload-token")
                .send()
                .await
                .expect("reload");
            let status = answer.status().as_u16();
            let text = answer.text().await.unwrap_or_default();
            assert_eq!(status, 200, "{text}");
        } else {
            let before = metric(
                &falconer.metrics().await,
                r#"falconer_config_reload_total{result="success"}"#,
            );
            let _ = std::process::Command::new("kill")
                .args(["-HUP", &falconer.pid().to_string()])
                .status();
            for _ in 0..200 {
                let now = metric(
                    &falconer.metrics().await,
                    r#"falconer_config_reload_total{result="success"}"#,
                );
                if now > before {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        epoch.fetch_add(1, Ordering::SeqCst);
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    stop.notify_one();
    sender.await.expect("sender");
    let sent = sent.lock().expect("sent").clone();

    let metrics = falconer.metrics().await;
    assert_eq!(
        metric(
            &metrics,
            r#"falconer_config_reload_total{result="success"}"#
        ),
        10.0
    );
    // A wrong token is refused.
    let refused = client
        .post(falconer.url("/-/reload"))
        .bearer_auth("wrong")
        .send()
        .await
        .expect("reload");
    assert_eq!(refused.status().as_u16(), 401);
    let (ok, log) = falconer.terminate();
    assert!(ok, "{log}");

    let mut got: BTreeMap<u64, Vec<&'static str>> = BTreeMap::new();
    for (name, sink) in ["a", "b", "c"].iter().zip(sinks.iter()) {
        for r in sink.requests() {
            let seq = r.json()["output_fields"]["seq"].as_u64().expect("seq");
            got.entry(seq).or_default().push(name);
        }
    }
    let mut exact = 0;
    let mut ambiguous = 0;
    for (seq, warning, before, after) in &sent {
        let received: BTreeSet<&str> = got.get(seq).into_iter().flatten().copied().collect();
        assert_eq!(
            got.get(seq).map_or(0, Vec::len),
            received.len(),
            "alert {seq} delivered twice to one output"
        );
        if before == after && before % 2 == 0 {
            let version = (*before / 2) as usize;
            assert_eq!(
                received,
                selected(version, *warning),
                "alert {seq} under version {version}"
            );
            exact += 1;
        } else {
            // Sent during a reload: either configuration, but all of one.
            let (old, new) = ((*before / 2) as usize, (after.div_ceil(2)) as usize);
            assert!(
                received == selected(old, *warning) || received == selected(new, *warning),
                "alert {seq} sent during a reload reached {received:?}"
            );
            ambiguous += 1;
        }
    }
    let per_output: Vec<(String, usize)> = ["a", "b", "c"]
        .iter()
        .zip(sinks.iter())
        .map(|(n, s)| ((*n).to_owned(), s.requests().len()))
        .collect();
    let dead = std::fs::read_to_string(dir.0.join("falconer-data/deadletter.jsonl"))
        .map_or(0, |t| t.lines().count());
    println!(
        "reload under load: 10 reloads; accepted {}, checked against the config in force {exact}, \
         sent during a reload {ambiguous}; delivered per output {per_output:?}; dead-lettered {dead}; lost 0",
        sent.len()
    );
    assert!(sent.len() > 200, "alerts flowed: {}", sent.len());
    assert_eq!(dead, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_watch_applies_a_good_file_and_refuses_a_bad_one() {
    let (one, two) = (RecordingSink::start().await, RecordingSink::start().await);
    let dir = TempDir::new("watch");
    let config = |address: &str, extra: &str| {
        format!(
            "reload:\n  interval: 200ms\n{extra}outputs:\n  - {{name: hook, type: webhook, address: \"{address}\"}}\n"
        )
    };
    let falconer = Falconer::start_in(&dir.0, &config(&one.url("/"), ""), &[]).await;
    let path = dir.0.join("config.yaml");
    assert_eq!(falconer.post("/", SHELL_ALERT.to_owned()).await.0, 200);
    one.wait_for(1, Duration::from_secs(5)).await;

    std::fs::write(&path, config(&two.url("/"), "")).expect("config");
    let mut reloaded = false;
    for _ in 0..100 {
        let m = falconer.metrics().await;
        if metric(&m, r#"falconer_config_reload_total{result="success"}"#) >= 1.0 {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reloaded, "the changed file was applied");
    assert_eq!(falconer.post("/", SHELL_ALERT.to_owned()).await.0, 200);
    two.wait_for(1, Duration::from_secs(5)).await;

    // A route naming an unknown output: refused once, the running config stays.
    std::fs::write(
        &path,
        config(
            &one.url("/"),
            "routes:\n  - {match: 'priority >= error', outputs: [nowhere]}\n",
        ),
    )
    .expect("config");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let m = falconer.metrics().await;
    assert_eq!(
        metric(&m, r#"falconer_config_reload_total{result="failure"}"#),
        1.0,
        "refused once, not on every check"
    );
    assert_eq!(metric(&m, "falconer_config_last_reload_successful"), 0.0);
    assert_eq!(falconer.post("/", SHELL_ALERT.to_owned()).await.0, 200);
    two.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(one.requests().len(), 1);
    let (ok, log) = falconer.terminate();
    assert!(ok, "{log}");
    assert!(log.contains("routes[0].outputs[0]"), "{log}");
    assert!(log.contains("unknown output"), "{log}");
}
