//! A `moto_server` (PyPI `moto[server]`) child process on a free loopback port, for the
//! integration tests of the AWS outputs. A missing moto fails the test with the install
//! command; it is never skipped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Region of the test resources.
pub const REGION: &str = "us-east-1";
/// moto's default account.
pub const ACCOUNT: &str = "123456789012";
/// Static test access key id.
pub const ACCESS_KEY_ID: &str = "AKIAFALCONERTEST";
/// Static test secret key.
pub const SECRET_ACCESS_KEY: &str = "falconer-test-secret";

/// How long moto may take to answer after it was started.
const STARTUP: Duration = Duration::from_secs(60);

/// A running `moto_server`; killed (by its pid) when dropped.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Moto {
    /// Starts `moto_server -p <free port>` (or `python3 -m moto.server`) and waits until it
    /// answers. Panics with the install command when moto is not installed.
    pub async fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let log =
            std::env::temp_dir().join(format!("falconer-moto-{}-{port}.log", std::process::id()));
        let spawn = |program: &str, args: &[&str]| {
            let out = std::fs::File::create(&log).expect("moto log file");
            let err = out.try_clone().expect("moto log file");
            Command::new(program)
                .args(args)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
        };
        let child = spawn("moto_server", &[])
            .or_else(|_| spawn("python3", &["-m", "moto.server"]))
            .unwrap_or_else(|e| {
                panic!("cannot start moto ({e}): install it with `python3 -m pip install 'moto[server]'`")
            });
        let mut moto = Moto { child, port, log };
        moto.wait_ready().await;
        moto
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "moto_server exited ({status}); is `moto[server]` installed (`python3 -m pip install 'moto[server]'`)?\n{}",
                    self.log()
                );
            }
            if self.answers().await {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not answer within {STARTUP:?}\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// True when `GET /moto-api/` answers 200.
    async fn answers(&self) -> bool {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await else {
            return false;
        };
        let request = "GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        if stream.write_all(request.as_bytes()).await.is_err() {
            return false;
        }
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await.is_ok() && head.ends_with(b"200")
    }

    /// `POST path` with `body`; returns the status line and the response body. Panics on
    /// a transport failure.
    async fn post(&self, path: &str, headers: &str, body: &str) -> (String, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect to moto");
        let request = format!(
            "POST {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{headers}Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .await
            .expect("write to moto");
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .await
            .expect("read moto's answer");
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status = head.lines().next().unwrap_or_default().to_owned();
        (status, body.to_owned())
    }

    /// Changes moto's configuration (`POST /moto-api/config`), e.g.
    /// `{"lambda": {"use_docker": false}}` to run Lambda functions without Docker.
    pub async fn configure(&self, json: &str) {
        let (status, body) = self
            .post(
                "/moto-api/config",
                "Content-Type: application/json\r\n",
                json,
            )
            .await;
        assert!(status.contains(" 20"), "moto config: {status} {body}");
    }

    /// A Query-protocol call (`Action=…&Version=…`, form-encoded) to `service` (`iam`, …),
    /// for resources the tests have no SDK crate for; returns the XML answer.
    pub async fn query(&self, service: &str, form: &str) -> String {
        let headers = format!(
            "Content-Type: application/x-www-form-urlencoded\r\nAuthorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20260101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n"
        );
        let (status, body) = self.post("/", &headers, form).await;
        assert!(status.contains(" 200"), "{service} {form}: {status} {body}");
        body
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What moto logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The shared AWS keys pointing an output at this server: region, static test keys,
    /// `endpoint`, `stsendpoint` and `checkidentity` (moto answers `GetCallerIdentity`).
    pub fn settings(&self) -> Value {
        json!({
            "region": REGION,
            "accesskeyid": ACCESS_KEY_ID,
            "secretaccesskey": SECRET_ACCESS_KEY,
            "endpoint": self.endpoint(),
            "stsendpoint": self.endpoint(),
            "checkidentity": true,
        })
    }

    /// `settings()` merged with a kind's own keys.
    pub fn with(&self, own: Value) -> Value {
        let mut all = self.settings();
        if let (Some(all), Value::Object(own)) = (all.as_object_mut(), own) {
            all.extend(own);
        }
        all
    }

    /// An S3 client of moto (path-style), to create buckets and read objects back.
    #[cfg(any(feature = "s3", feature = "securitylake"))]
    pub async fn s3_client(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk_config().await)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// An SDK configuration for the test's own calls (creating and reading back resources).
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_credential_types::Credentials::new(
                ACCESS_KEY_ID,
                SECRET_ACCESS_KEY,
                None,
                None,
                "moto",
            ))
            .load()
            .await
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Our own child, by pid.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
