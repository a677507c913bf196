//! A real Alertmanager for the tests: Debian's `prometheus-alertmanager` (or the binary named
//! by `FALCONER_ALERTMANAGER_BIN`) on a free loopback port, with clustering off, a temporary
//! config and storage, killed when dropped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Where Debian's `prometheus-alertmanager` package puts the binary.
const DEBIAN_BIN: &str = "/usr/bin/prometheus-alertmanager";

/// A running Alertmanager started by this test (and only that process is ever killed).
pub struct AlertmanagerServer {
    child: tokio::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    dir: tempfile::TempDir,
}

fn binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("FALCONER_ALERTMANAGER_BIN") {
        return PathBuf::from(bin);
    }
    let debian = PathBuf::from(DEBIAN_BIN);
    if debian.exists() {
        return debian;
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("alertmanager"))
            .find(|p| p.exists())
    });
    on_path.unwrap_or_else(|| {
        panic!(
            "Alertmanager is not installed: this test needs {DEBIAN_BIN} (Debian package \
             `prometheus-alertmanager`; scripts/test.sh installs it), an `alertmanager` on PATH, \
             or FALCONER_ALERTMANAGER_BIN"
        )
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

const CONFIG: &str = "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n";

impl AlertmanagerServer {
    /// Starts one and waits until `/-/ready` answers 200 (panics, failing the test, after 30 s).
    pub async fn start() -> AlertmanagerServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(&config, CONFIG).expect("write config");
        let storage = dir.path().join("data");
        let log = std::fs::File::create(dir.path().join("alertmanager.log")).expect("log file");
        let port = free_port();
        let bin = binary();
        let child = tokio::process::Command::new(&bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.path={}", storage.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let mut server = AlertmanagerServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("Alertmanager exited ({status}): {}", self.log());
            }
            let ready = client
                .get(format!("{}/-/ready", self.url))
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "Alertmanager not ready after 30 s: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What the process logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("alertmanager.log")).unwrap_or_default()
    }

    /// `GET /api/v2/alerts`: every active alert.
    pub async fn alerts(&self) -> Vec<Value> {
        let answer = reqwest::get(format!("{}/api/v2/alerts", self.url))
            .await
            .expect("GET /api/v2/alerts");
        assert!(answer.status().is_success(), "{}", answer.status());
        let bytes = answer.bytes().await.expect("the alerts");
        let body: Value = serde_json::from_slice(&bytes).expect("JSON alerts");
        body.as_array().cloned().expect("an array of alerts")
    }
}

impl Drop for AlertmanagerServer {
    fn drop(&mut self) {
        // kill_on_drop also kills it; this reaps it when a runtime is still around.
        let _ = self.child.start_kill();
    }
}
