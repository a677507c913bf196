//! Kubernetes audit events through the binary: the apiserver's EventList posted to
//! `/k8s-audit` (the reference's `kubectl create configmap aws-creds` scenario) raises the
//! Falco alert, which reaches a recording sink exactly and the UI's API; `falconer check`
//! names broken rules files with their file, line and rule.

use std::time::Duration;

use falconer_testkit::RecordingSink;

use crate::harness::{check, free_port, Falconer, TempDir};

const CONFIGMAP_EVENTS: &str =
    include_str!("../../crates/falconer-k8saudit/tests/fixtures/configmap_aws_credentials.json");
const EXEC_EVENTS: &str =
    include_str!("../../crates/falconer-k8saudit/tests/fixtures/exec_into_pod.json");

async fn post_audit(f: &Falconer, body: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(f.url("/k8s-audit"))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("request sent");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apiserver_event_list_raises_the_alert_at_the_sink_and_in_the_ui() {
    let sink = RecordingSink::start().await;
    let ui_port = free_port();
    let yaml = format!(
        r#"
k8saudit:
  enabled: true
  hostname: minikube
ui:
  listenaddress: 127.0.0.1
  listenport: {ui_port}
  auth:
    disabled: true
outputs:
  - name: secops-hook
    type: webhook
    address: {}
  - name: ui
    type: webui
"#,
        sink.url("/falco")
    );
    let f = Falconer::start(&yaml, &[]).await;
    assert_eq!(
        post_audit(&f, CONFIGMAP_EVENTS).await,
        (200, r#"{"alerts":1,"events":1,"skipped":0}"#.to_owned())
    );

    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    let mut body = got[0].json();
    let uuid = body
        .as_object_mut()
        .and_then(|o| o.remove("uuid"))
        .expect("a uuid");
    assert_eq!(uuid.as_str().map(str::len), Some(36));
    assert_eq!(
        body,
        serde_json::json!({
            "output": "09:21:07.418790000: Warning K8s configmap with private credential (user=minikube-user verb=create resource=configmaps configmap=aws-creds)",
            "priority": "Warning",
            "rule": "Create/Modify Configmap With Private Credentials",
            "time": "2024-05-14T09:21:07.41879Z",
            "output_fields": {
                "evt.time": 1715678467418790000_i64,
                "ka.req.configmap.name": "aws-creds",
                "ka.target.resource": "configmaps",
                "ka.user.name": "minikube-user",
                "ka.verb": "create"
            },
            "source": "k8s_audit",
            "tags": ["k8s"],
            "hostname": "minikube"
        })
    );

    let client = reqwest::Client::new();
    let search = format!("http://127.0.0.1:{ui_port}/api/v1/events/search?source=k8s_audit");
    let mut found = serde_json::Value::Null;
    for _ in 0..100 {
        let r = client.get(&search).send().await.expect("UI answers");
        assert_eq!(r.status(), 200);
        found = serde_json::from_str(&r.text().await.expect("body")).expect("JSON");
        if found["statistics"]["all"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(found["statistics"]["all"], 1, "{found}");
    let event = &found["results"][0];
    assert_eq!(
        event["rule"],
        "Create/Modify Configmap With Private Credentials"
    );
    assert_eq!(event["priority"], "Warning");
    assert_eq!(event["uuid"], uuid);

    // The exec EventList: two stages, one alert (at ResponseStarted).
    assert_eq!(
        post_audit(&f, EXEC_EVENTS).await,
        (200, r#"{"alerts":1,"events":2,"skipped":0}"#.to_owned())
    );
    let got = sink.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got[1].json()["rule"], "Attach/Exec Pod");
    // A malformed body: 400 with the reason, nothing sent.
    let (status, reason) = post_audit(&f, r#"{"kind":"Pod"}"#).await;
    assert_eq!(status, 400);
    assert!(reason.contains("not an audit EventList"), "{reason}");

    let metrics = f.metrics().await;
    let line = r#"falcosecurity_falcosidekick_inputs_total{source="requests",status="accepted"} 2"#;
    assert!(metrics.contains(line), "missing {line}\n{metrics}");
    let (ok, logs) = f.terminate();
    assert!(ok, "{logs}");
    assert!(
        logs.contains("Kubernetes audit webhook on POST /k8s-audit"),
        "{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_the_file_line_and_rule_of_rules_file_errors() {
    let dir = TempDir::new("k8srules");
    let rules = dir.0.join("local_rules.yaml");
    std::fs::write(
        &rules,
        "- list: verbs\n  items: [create]\n\n- rule: Broken\n  condition: ka.verb in (verbs\n  output: x\n  priority: WARNING\n  source: k8s_audit\n",
    )
    .expect("write rules");
    let yaml = format!(
        "k8saudit:\n  enabled: true\n  rulesfiles: [default, {}]\n  rulematching: most\n",
        rules.display()
    );
    let (ok, _, stderr) = check(&yaml);
    assert!(!ok);
    for expected in [
        "k8saudit.rulematching: must be first or all, not \"most\"".to_owned(),
        format!(
            "k8saudit.rulesfiles: {}:4: rule \"Broken\": condition: column 18: expected `,` or `)`, found end of input",
            rules.display()
        ),
    ] {
        assert!(stderr.contains(&expected), "missing {expected:?} in:\n{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_has_its_own_port_when_asked_serving_only_the_webhook() {
    let sink = RecordingSink::start().await;
    let audit_port = free_port();
    let yaml = format!(
        "k8saudit:\n  enabled: true\n  listenport: {audit_port}\n  hostname: kind-control-plane\nwebhook:\n  address: {}\n",
        sink.url("/falco")
    );
    let f = Falconer::start(&yaml, &[]).await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("http://127.0.0.1:{audit_port}{path}");
    let r = client
        .post(url("/k8s-audit"))
        .header("content-type", "application/json")
        .body(CONFIGMAP_EVENTS)
        .send()
        .await
        .expect("the audit port answers");
    assert_eq!(r.status(), 200);
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].json()["hostname"], "kind-control-plane");
    // Only the webhook there: ingest and the probes are on the main port.
    let r = client
        .post(url("/"))
        .body("{}")
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 404);
    // The main port serves the webhook too.
    assert_eq!(post_audit(&f, CONFIGMAP_EVENTS).await.0, 200);
    let (ok, logs) = f.terminate();
    assert!(ok, "{logs}");
    assert!(logs.contains("Kubernetes audit webhook port up"), "{logs}");
}
