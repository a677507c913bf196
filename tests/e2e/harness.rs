//! Starting the real `falconer` binary with a config file and a clean environment.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running falconer process; killed when dropped.
pub struct Falconer {
    child: Child,
    pub port: u16,
    log: PathBuf,
    _dir: Option<TempDir>,
}

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "falconer-e2e-{tag}-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos() ^ rand_suffix()
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_falconer")
}

/// The value of the first line of a Prometheus scrape that starts with `series` (the whole
/// series, labels included); 0 when absent.
pub fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Falconer {
    /// Starts falconer with `yaml` as its config file and `env` as its only environment
    /// (plus `LISTENADDRESS`/`LISTENPORT`), and waits until `/ping` answers.
    pub async fn start(yaml: &str, env: &[(&str, &str)]) -> Falconer {
        let dir = TempDir::new("run");
        let mut f = Falconer::start_in(&dir.0, yaml, env).await;
        f._dir = Some(dir);
        f
    }

    /// Starts falconer in `dir` (its working directory, so `datadir` defaults there), with
    /// `yaml` as `dir/config.yaml`. The directory outlives the process: a restart finds its
    /// spool and dead letters.
    pub async fn start_in(dir: &std::path::Path, yaml: &str, env: &[(&str, &str)]) -> Falconer {
        Falconer::spawn_in(dir, yaml, env, None).await
    }

    /// Starts falconer with its open-files limit (soft and hard) set to `nofile`, as a
    /// container with a low `ulimit -n` would.
    pub async fn start_with_nofile(yaml: &str, env: &[(&str, &str)], nofile: u64) -> Falconer {
        let dir = TempDir::new("nofile");
        let mut f = Falconer::spawn_in(&dir.0, yaml, env, Some(nofile)).await;
        f._dir = Some(dir);
        f
    }

    async fn spawn_in(
        dir: &std::path::Path,
        yaml: &str,
        env: &[(&str, &str)],
        nofile: Option<u64>,
    ) -> Falconer {
        let config = dir.join("config.yaml");
        std::fs::write(&config, yaml).expect("write config");
        let port = free_port();
        let log = dir.join(format!("stderr-{port}.log"));
        let mut cmd = match nofile {
            None => Command::new(binary()),
            Some(n) => {
                // prlimit sets the limit on itself, then executes falconer (same pid).
                let mut c = Command::new("prlimit");
                c.arg(format!("--nofile={n}:{n}")).arg("--").arg(binary());
                c
            }
        };
        cmd.arg("-c")
            .arg(&config)
            .current_dir(dir)
            .env_clear()
            .env("LISTENADDRESS", "127.0.0.1")
            .env("LISTENPORT", port.to_string())
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log).expect("log file")));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn falconer");
        let mut f = Falconer {
            child,
            port,
            log,
            _dir: None,
        };
        f.wait_ready().await;
        f
    }

    /// Kills the process with SIGKILL (no drain, no flush).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts falconer serving TLS; readiness is checked on the plain side port's `/ping`.
    pub async fn start_tls(yaml: &str, side_port: u16) -> Falconer {
        let dir = TempDir::new("tls");
        let config = dir.0.join("config.yaml");
        std::fs::write(&config, yaml).expect("write config");
        let port = free_port();
        let log = dir.0.join("stderr.log");
        let child = Command::new(binary())
            .arg("-c")
            .arg(&config)
            .current_dir(&dir.0)
            .env_clear()
            .env("LISTENADDRESS", "127.0.0.1")
            .env("LISTENPORT", port.to_string())
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log).expect("log file")))
            .spawn()
            .expect("spawn falconer");
        let mut f = Falconer {
            child,
            port,
            log,
            _dir: Some(dir),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = f.child.try_wait() {
                panic!("falconer exited early ({status}): {}", f.stderr());
            }
            let url = format!("http://127.0.0.1:{side_port}/ping");
            if reqwest::get(&url).await.is_ok_and(|r| r.status() == 200) {
                return f;
            }
            assert!(
                Instant::now() < deadline,
                "falconer not ready: {}",
                f.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("falconer exited early ({status}): {}", self.stderr());
            }
            if let Ok(r) = reqwest::get(self.url("/ping")).await {
                if r.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("falconer not ready in time");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub async fn post(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
        let r = reqwest::Client::new()
            .post(self.url(path))
            .body(body)
            .send()
            .await
            .expect("request sent");
        let status = r.status().as_u16();
        (status, r.text().await.unwrap_or_default())
    }

    pub async fn metrics(&self) -> String {
        reqwest::get(self.url("/metrics"))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text")
    }

    /// Sends SIGTERM and waits for the exit; returns (success, stderr).
    pub fn terminate(mut self) -> (bool, String) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return (status.success(), self.stderr());
            }
            assert!(
                Instant::now() < deadline,
                "falconer did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What falconer logged so far (stderr goes to a file: a pipe nobody reads could fill up
    /// and block it).
    pub fn stderr(&mut self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Falconer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `falconer check -c FILE` with a clean environment: (exit success, stdout, stderr).
pub fn check(yaml: &str) -> (bool, String, String) {
    let dir = TempDir::new("check");
    let config = dir.0.join("config.yaml");
    std::fs::write(&config, yaml).expect("write config");
    check_file(&config)
}

pub fn check_file(path: &std::path::Path) -> (bool, String, String) {
    let out = Command::new(binary())
        .args(["check", "-c"])
        .arg(path)
        .env_clear()
        .output()
        .expect("run check");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `falconer run` with `yaml` until it exits by itself (a start failure): (success, stderr).
pub fn run_to_exit(yaml: &str) -> (bool, String) {
    let dir = TempDir::new("exit");
    let config = dir.0.join("config.yaml");
    std::fs::write(&config, yaml).expect("write config");
    let out = Command::new(binary())
        .arg("-c")
        .arg(&config)
        .current_dir(&dir.0)
        .env_clear()
        .env("LISTENADDRESS", "127.0.0.1")
        .env("LISTENPORT", free_port().to_string())
        .output()
        .expect("run falconer");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
