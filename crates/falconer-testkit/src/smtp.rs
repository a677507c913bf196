//! A real SMTP server (Python's aiosmtpd) for output tests: started per test on a free
//! loopback port, recording every accepted message; answers can be scripted.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server script, shipped with the testkit.
const SCRIPT: &str = include_str!("smtp_server.py");

/// How the server behaves.
#[derive(Clone, Debug, Default)]
pub struct SmtpOptions {
    /// `(user, password)`: AUTH (PLAIN or LOGIN) becomes mandatory.
    pub auth: Option<(String, String)>,
    /// `(certificate PEM file, key PEM file)`: STARTTLS is required, or TLS from the first
    /// byte with `implicit_tls`.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Serve TLS from the first byte (SMTPS) instead of STARTTLS.
    pub implicit_tls: bool,
    /// Require client certificates signed by this CA (PEM file).
    pub client_ca: Option<PathBuf>,
    /// Answers to DATA, in order (`"451 4.3.0 Try again later"`), then `250`.
    pub data_replies: Vec<String>,
    /// Recipients answered `550 5.1.1`.
    pub reject: Vec<String>,
}

/// One message the server accepted.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    /// `MAIL FROM`.
    pub mail_from: String,
    /// Accepted `RCPT TO`s.
    pub rcpt_tos: Vec<String>,
    /// The client's `(address, port)`: the same port for two mails means one connection.
    pub peer: (String, u16),
    /// The session authenticated.
    pub authenticated: bool,
    /// The session was encrypted.
    pub tls: bool,
    /// The message as received (RFC 5322).
    pub data: Vec<u8>,
}

/// A running server; stopped when dropped.
pub struct SmtpServer {
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

impl SmtpServer {
    /// Starts the server and waits until it listens. Panics (failing the test) when Python's
    /// `aiosmtpd` is missing: `scripts/test.sh` installs it.
    pub async fn start(options: SmtpOptions) -> SmtpServer {
        let port = free_port();
        let dir = tempfile::Builder::new()
            .prefix("falconer-smtp-")
            .tempdir()
            .expect("scratch folder");
        let script = dir.path().join("smtp_server.py");
        std::fs::write(&script, SCRIPT).expect("write the server script");
        let out = dir.path().join("mail");
        std::fs::create_dir_all(&out).expect("mail folder");
        let mut cmd = Command::new("python3");
        cmd.arg(&script)
            .args(["--port", &port.to_string()])
            .arg("--out")
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.path().join("server.log")).expect("log file"),
            ));
        if let Some((user, password)) = &options.auth {
            cmd.args(["--auth", &format!("{user}:{password}")]);
        }
        if let Some((cert, key)) = &options.tls {
            cmd.arg("--cert").arg(cert).arg("--key").arg(key);
            if options.implicit_tls {
                cmd.arg("--implicit-tls");
            }
            if let Some(ca) = &options.client_ca {
                cmd.arg("--client-ca").arg(ca);
            }
        }
        if !options.data_replies.is_empty() {
            cmd.args(["--data-replies", &options.data_replies.join(",")]);
        }
        if !options.reject.is_empty() {
            cmd.args(["--reject", &options.reject.join(",")]);
        }
        let child = cmd.spawn().expect("python3 runs");
        let mut server = SmtpServer { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !out.join("ready").exists() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "the SMTP test server exited ({status}); is aiosmtpd installed (pip install aiosmtpd)? {}",
                    server.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "SMTP server not ready: {}",
                server.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// What the server logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// DATA commands received, accepted or not.
    pub fn data_attempts(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("mail").join("attempts"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Messages accepted so far, in order.
    pub fn mails(&self) -> Vec<ReceivedMail> {
        let out = self.dir.path().join("mail");
        let mut mails = Vec::new();
        for n in 1.. {
            let Ok(data) = std::fs::read(out.join(format!("{n}.eml"))) else {
                break;
            };
            let meta: serde_json::Value = std::fs::read(out.join(format!("{n}.json")))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_default();
            let text = |k: &str| meta[k].as_str().unwrap_or_default().to_owned();
            mails.push(ReceivedMail {
                mail_from: text("mail_from"),
                rcpt_tos: meta["rcpt_tos"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                peer: (
                    meta["peer"][0].as_str().unwrap_or_default().to_owned(),
                    meta["peer"][1].as_u64().unwrap_or_default() as u16,
                ),
                authenticated: meta["authenticated"].as_bool().unwrap_or(false),
                tls: meta["tls"].as_bool().unwrap_or(false),
                data,
            });
        }
        mails
    }

    /// Waits until `n` messages were accepted, or panics after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + timeout;
        loop {
            let mails = self.mails();
            if mails.len() >= n {
                return mails;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} mails, got {}; server log: {}",
                mails.len(),
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
