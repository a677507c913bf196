//! The built-in UI through the binary: an alert posted to ingest goes through the `webui`
//! output into the store, and the UI's API on its own port finds it, behind authentication.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::{binary, check, free_port, Falconer};

/// `falconer ui hash-password` with `password` on standard input.
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
    let hash = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    hash
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_reaches_the_ui_store_and_its_api() {
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
  - name: ui
    type: webui
"#,
        hash("s3cret-pass")
    );
    let f = Falconer::start(&yaml, &[]).await;
    assert_eq!(f.post("/test", "").await.0, 200);

    let client = reqwest::Client::new();
    let search = format!("http://127.0.0.1:{ui_port}/api/v1/events/search?rule=Test%20rule");
    // Without credentials: refused.
    let anonymous = client.get(&search).send().await.expect("UI answers");
    assert_eq!(anonymous.status(), 401);
    let mut found = serde_json::Value::Null;
    for _ in 0..100 {
        let r = client
            .get(&search)
            .basic_auth("admin", Some("s3cret-pass"))
            .send()
            .await
            .expect("UI answers");
        assert_eq!(r.status(), 200);
        found = serde_json::from_str(&r.text().await.expect("body")).expect("JSON");
        if found["statistics"]["all"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(found["statistics"]["all"], 1, "{found}");
    assert_eq!(found["results"][0]["source"], "internal");
    assert_eq!(
        found["results"][0]["output"],
        "This is a test from falcosidekick"
    );
    let (ok, logs) = f.terminate();
    assert!(ok, "{logs}");
    assert!(logs.contains("Web UI listening"), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_ui_problems_with_their_paths() {
    let (ok, _, stderr) = check("ui:\n  listenport: 0\n  basepath: nope\n");
    assert!(!ok);
    for expected in [
        "ui.listenport: must not be 0",
        "ui.basepath: must start with /",
        "ui.auth.users: no user configured",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
}
