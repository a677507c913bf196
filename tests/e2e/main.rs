//! End-to-end tests: the built `falconer` binary, real HTTP on loopback, a recording sink.

mod cardinality;
mod delivery;
mod hardening;
mod hardening_ui;
mod harness;
mod k8saudit;
mod policy;
mod secrets;
mod smtp;
mod stores;
mod tls;
mod webui;

use std::time::Duration;

use falconer_testkit::{RecordingSink, Reply, CONFIGMAP_ALERT};
use harness::{check, check_file, Falconer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WAIT: Duration = Duration::from_secs(10);

fn is_uuid_v4(s: &str) -> bool {
    s.len() == 36 && s.as_bytes()[14] == b'4' && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configmap_scenario_reaches_the_webhook_enriched() {
    let sink = RecordingSink::start().await;
    let yaml = format!(
        r#"
customfields:
  environment: staging
outputs:
  - name: secops-hook
    type: webhook
    address: {}
    minimumpriority: warning
    customheaders:
      Authorization: Bearer e2e-token
"#,
        sink.url("/falco")
    );
    // The env override wins over the file, as with falcosidekick.
    let falconer = Falconer::start(
        &yaml,
        &[("CUSTOMFIELDS", "environment:prod,region:eu-west-1")],
    )
    .await;
    assert_eq!(
        falconer.post("/", CONFIGMAP_ALERT).await,
        (200, String::new())
    );

    let got = sink.wait_for(1, WAIT).await;
    let r = &got[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/falco"));
    assert_eq!(r.header("authorization"), Some("Bearer e2e-token"));
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let body = r.json();
    assert!(
        is_uuid_v4(body["uuid"].as_str().unwrap_or_default()),
        "{body}"
    );
    assert_eq!(
        body["rule"],
        "Create/Modify Configmap With Private Credentials"
    );
    assert_eq!(body["priority"], "Warning");
    assert_eq!(body["source"], "k8s_audit");
    assert_eq!(body["hostname"], "minikube");
    assert_eq!(body["time"], "2024-05-14T09:21:07.41879Z");
    assert_eq!(body["output_fields"]["environment"], "prod");
    assert_eq!(body["output_fields"]["region"], "eu-west-1");
    assert_eq!(body["output_fields"]["ka.user.name"], "minikube-user");
    // Numbers are passed through digit for digit.
    assert!(
        r.text().contains(r#""evt.time":1715678467418790000"#),
        "{}",
        r.text()
    );

    let metrics = falconer.metrics().await;
    for line in [
        r#"falcosecurity_falcosidekick_inputs_total{source="requests",status="accepted"} 1"#,
        r#"falcosecurity_falcosidekick_outputs_total{destination="webhook",status="ok"} 1"#,
        r#"falconer_output_deliveries_total{kind="webhook",output="secops-hook",status="ok"} 1"#,
        r#"falcosecurity_falcosidekick_falco_events_total{environment="prod",hostname="minikube",k8s_ns_name="",k8s_pod_name="",priority="4",priority_raw="warning",region="eu-west-1",rule="Create/Modify Configmap With Private Credentials",source="k8s_audit"} 1"#,
    ] {
        assert!(metrics.contains(line), "missing {line}\n{metrics}");
    }
    let (ok, logs) = falconer.terminate();
    assert!(ok, "{logs}");
    assert!(
        !logs.contains("e2e-token"),
        "a secret leaked into the logs:\n{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_falcosidekick_config_yaml_with_env_overrides_works() {
    let sink = RecordingSink::start().await;
    let yaml = r#"
listenaddress: ""
listenport: 2801
debug: false
customfields:
  Akey: "AValue"
customtags:
  - falconer
slack:
  webhookurl: ""
  minimumpriority: ""
webhook:
  address: "http://webhook.invalid:9090/"
  minimumpriority: "debug"
  checkcert: true
aws:
  sqs:
    url: ""
elasticsearch:
  hostport: ""
"#;
    let falconer = Falconer::start(
        yaml,
        &[
            ("WEBHOOK_ADDRESS", &sink.url("/from-env")),
            ("WEBHOOK_CUSTOMHEADERS", "X-Source:env"),
            ("WEBHOOK_MINIMUMPRIORITY", "notice"),
        ],
    )
    .await;
    let debug_alert = CONFIGMAP_ALERT.replace(r#""priority":"Warning""#, r#""priority":"Debug""#);
    assert_eq!(falconer.post("/", debug_alert).await.0, 200);
    assert_eq!(falconer.post("/", CONFIGMAP_ALERT).await.0, 200);
    let got = sink.wait_for(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sink.requests().len(),
        1,
        "the Debug alert is below WEBHOOK_MINIMUMPRIORITY"
    );
    let r = &got[0];
    assert_eq!(r.path, "/from-env");
    assert_eq!(r.header("x-source"), Some("env"));
    let body = r.json();
    assert_eq!(body["output_fields"]["Akey"], "AValue");
    assert_eq!(body["tags"], serde_json::json!(["falconer", "k8s"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_codes_match_falcosidekick() {
    let sink = RecordingSink::start().await;
    let yaml = format!(
        "ingest:\n  maxbodybytes: 2048\nwebhook:\n  address: {}\n",
        sink.url("/")
    );
    let f = Falconer::start(&yaml, &[]).await;
    assert_eq!(f.post("/", CONFIGMAP_ALERT).await, (200, String::new()));
    assert_eq!(
        f.post("/", "{\"rule\":\"x\"}").await,
        (400, "Please send a valid request body\n".to_owned())
    );
    assert_eq!(
        f.post("/", "x".repeat(4096)).await,
        (413, "Request body too large\n".to_owned())
    );
    let get = reqwest::get(f.url("/")).await.unwrap();
    assert_eq!(get.status(), 400);
    assert_eq!(
        get.text().await.unwrap(),
        "Please send with post http method\n"
    );
    assert_eq!(f.post("/test", "").await, (200, String::new()));
    assert_eq!(
        reqwest::get(f.url("/ping"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "pong\n"
    );
    assert_eq!(reqwest::get(f.url("/ready")).await.unwrap().status(), 200);

    let got = sink.wait_for(2, WAIT).await;
    let test = got
        .iter()
        .map(|r| r.json())
        .find(|b| b["rule"] == "Test rule")
        .expect("test alert delivered");
    assert_eq!(test["source"], "internal");
    assert_eq!(test["output"], "This is a test from falcosidekick");
    let metrics = f.metrics().await;
    assert!(
        metrics.contains(
            r#"falcosecurity_falcosidekick_inputs_total{source="requests",status="rejected"} 3"#
        ),
        "{metrics}"
    );
    assert!(metrics.contains(r#"falconer_alerts_rejected_total{reason="too_large"} 1"#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_clients_are_served() {
    let f = Falconer::start("outputs:\n  - name: discard\n    type: null\n", &[]).await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let r = client
        .post(f.url("/"))
        .body(CONFIGMAP_ALERT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_client_is_cut_off() {
    let f = Falconer::start(
        "ingest:\n  headertimeout: 1s\noutputs:\n  - name: d\n    type: null\n",
        &[],
    )
    .await;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", f.port))
        .await
        .unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 256];
    // The server closes (or answers 408) once the header timeout passes; the bound is generous.
    let read = tokio::time::timeout(Duration::from_secs(15), stream.read(&mut buf)).await;
    match read {
        Ok(Ok(0)) => {}
        Ok(Ok(n)) => assert!(
            String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408"),
            "{:?}",
            &buf[..n]
        ),
        Ok(Err(_)) => {}
        Err(_) => panic!("connection still open after the header timeout"),
    }
    // Other clients were served meanwhile and still are.
    assert_eq!(f.post("/", CONFIGMAP_ALERT).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_queued_alerts_before_exit() {
    let sink = RecordingSink::start().await;
    sink.fallback(Reply::status(200).delay(Duration::from_millis(100)));
    let yaml = format!("webhook:\n  address: {}\n", sink.url("/"));
    let f = Falconer::start(&yaml, &[]).await;
    for _ in 0..10 {
        assert_eq!(f.post("/", CONFIGMAP_ALERT).await.0, 200);
    }
    let (ok, logs) = f.terminate();
    assert!(ok, "{logs}");
    assert_eq!(
        sink.requests().len(),
        10,
        "queued alerts were delivered before exit:\n{logs}"
    );
    assert!(logs.contains("All queued alerts were delivered"), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_lists_every_problem_with_its_path() {
    let (ok, _, stderr) = check(
        r#"
listenport: 0
bogus: true
tlsserver:
  notlspaths: [/admin]
webhook:
  address: "ftp://x"
outputs:
  - name: secops
    type: webhook
    address: http://ok/
    method: DELETE
    queue: { capacity: 0 }
  - name: nope
    type: carrier-pigeon
"#,
    );
    assert!(!ok);
    for expected in [
        "7 problems",
        "  bogus: unknown key",
        "  listenport: must be between 1 and 65535",
        "  tlsserver.notlspaths[0]: \"/admin\" is not one of",
        "  webhook.address: scheme \"ftp\" is not http or https",
        "  outputs[0] (secops).method: \"DELETE\" is not POST or PUT",
        "  outputs[0] (secops).queue.capacity: must be between 1 and 10000000",
        "  outputs[1] (nope).type: unknown output type \"carrier-pigeon\"",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_config_passes_check() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config.example.yaml");
    let (ok, stdout, stderr) = check_file(&path);
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains(": OK"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_metrics_pass_promtool_check() {
    let f = Falconer::start(
        "customfields:\n  environment: prod\noutputs:\n  - name: d\n    type: null\n",
        &[],
    )
    .await;
    assert_eq!(f.post("/", CONFIGMAP_ALERT).await.0, 200);
    assert_eq!(f.post("/", "nope").await.0, 400);
    assert_eq!(f.post("/test", "").await.0, 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let metrics = f.metrics().await;
    let mut promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool is required (Debian package `prometheus`; scripts/test.sh installs it)");
    use std::io::Write;
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(metrics.as_bytes())
        .unwrap();
    let out = promtool.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}\n--- metrics ---\n{metrics}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(metrics.contains("falcosecurity_falcosidekick_falco_events_total"));
    assert!(metrics.contains("process_resident_memory_bytes"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_its_rate_limit_gets_429() {
    let f = Falconer::start(
        "ingest:\n  ratelimit: 1\n  ratelimitburst: 2\noutputs:\n  - name: d\n    type: \"null\"\n",
        &[],
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(f.post("/", CONFIGMAP_ALERT).await.0);
    }
    // The burst passes; ten requests take far less than the seconds they would need.
    assert_eq!(statuses[..2], [200, 200], "{statuses:?}");
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(limited > 0, "{statuses:?}");
    assert!(f.metrics().await.contains(&format!(
        r#"falconer_alerts_rejected_total{{reason="rate_limited"}} {limited}"#
    )));
}
