//! A real InfluxDB 1.x server (Debian's `influxd`) for output tests: its own data folder and
//! loopback ports, stopped when dropped.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `influxd`.
pub struct InfluxServer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// One HTTP/1.1 request to the server; the status code and body.
async fn http(port: u16, method: &str, path_and_query: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let request = format!(
        "{method} {path_and_query} HTTP/1.1\r\nHost: influxdb\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    tcp.read_to_end(&mut response).await.ok()?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    // Chunked answers: keep the JSON between the chunk sizes.
    let body = match (body.find('{'), body.rfind('}')) {
        (Some(a), Some(b)) if b >= a => body[a..=b].to_owned(),
        _ => body,
    };
    Some((status, body))
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl InfluxServer {
    /// Starts `influxd` (Debian package `influxdb`; `scripts/test.sh` installs it) and waits
    /// until it answers `/ping`.
    pub async fn start() -> InfluxServer {
        let dir = tempfile::Builder::new()
            .prefix("falconer-influxdb-")
            .tempdir()
            .expect("temp dir");
        let port = free_port();
        let rpc = free_port();
        let root = dir.path().display().to_string();
        let config = format!(
            r#"reporting-disabled = true
bind-address = "127.0.0.1:{rpc}"
[meta]
  dir = "{root}/meta"
[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:{port}"
  log-enabled = false
[continuous_queries]
  enabled = false
"#
        );
        std::fs::write(dir.path().join("influxdb.conf"), config).expect("write config");
        let child = Command::new("influxd")
            .arg("run")
            .arg("-config")
            .arg(dir.path().join("influxdb.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.path().join("influxd.log")).expect("log file"),
            ))
            .spawn()
            .expect("influxd runs (Debian package `influxdb`; scripts/test.sh installs it)");
        let mut server = InfluxServer { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("influxd exited ({status}): {}", server.log());
            }
            if matches!(http(port, "GET", "/ping").await, Some((204, _))) {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "influxd not ready: {}",
                server.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What influxd logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("influxd.log")).unwrap_or_default()
    }

    /// Runs an InfluxQL statement (`CREATE DATABASE falco`), returns the JSON answer.
    pub async fn query(&self, db: &str, q: &str) -> serde_json::Value {
        let path = format!("/query?db={}&epoch=ns&q={}", encode(db), encode(q));
        let (status, body) = http(self.port, "POST", &path)
            .await
            .expect("influxd answers");
        assert_eq!(status, 200, "{q}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{q}: {e}: {body}"))
    }
}

impl Drop for InfluxServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
