//! The `redis` block: falcosidekick's keys.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Choice, DeliveryDefaults, Output, OutputConfig};
use serde::Deserialize;

use super::output::{Redis, Storage};

/// Configuration of one Redis instance. `Debug` never shows the password.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    /// `host:port`.
    pub address: String,
    /// ACL user (Redis 6+).
    #[serde(default)]
    pub username: String,
    /// Password.
    #[serde(default)]
    pub password: Secret,
    /// Database number.
    #[serde(default)]
    pub database: i64,
    /// `list` (default, `RPUSH`) or `hashmap` (`HSET key <uuid> <payload>`).
    #[serde(default = "default_storage")]
    pub storagetype: Choice<Storage>,
    /// The list or hash key.
    #[serde(default = "default_key")]
    pub key: String,
    /// Connect with TLS (`rediss://`).
    #[serde(default)]
    pub tls: bool,
    /// Verify the server's certificate.
    #[serde(default = "default_true")]
    pub checkcert: bool,
    /// Present a client certificate (`certfile`/`keyfile`, else `mutualtlsclient.*`).
    #[serde(default)]
    pub mutualtls: bool,
    /// Client certificate (PEM).
    #[serde(default)]
    pub certfile: String,
    /// Client key (PEM).
    #[serde(default)]
    pub keyfile: String,
    /// CA of the server (PEM); default `tlsclient.cacertfile`, then the system roots.
    #[serde(default)]
    pub cacertfile: String,
}

fn default_storage() -> Choice<Storage> {
    Choice::new("list")
}

fn default_key() -> String {
    "falco".into()
}

fn default_true() -> bool {
    true
}

impl RedisConfig {
    fn url(&self) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        let insecure = if self.tls && !self.checkcert {
            "#insecure"
        } else {
            ""
        };
        format!("{scheme}://{}/{}{insecure}", self.address, self.database)
    }
}

/// Values per command at most.
const MAX_BATCH: usize = 500;

fn read(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{path}: {e}"))
}

#[async_trait::async_trait]
impl OutputConfig for RedisConfig {
    const KIND: &'static str = "redis";
    const BLOCK: &'static str = "redis";
    const ENABLED_BY: &'static [&'static str] = &["address"];
    const DESTINATION: &'static str = "redis";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(MAX_BATCH, 8 << 20, Duration::ZERO);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        match self.address.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {}
            _ => problems.push("address", format!("{:?} is not host:port", self.address)),
        }
        self.storagetype.check("storagetype", problems);
        if self.key.is_empty() {
            problems.push("key", "must not be empty");
        }
        if self.database < 0 {
            problems.push("database", "must not be negative");
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let mut info = redis::IntoConnectionInfo::into_connection_info(self.url().as_str())
            .map_err(|e| BuildError::new(&cx.path, e))?;
        if !self.username.is_empty() {
            info.redis.username = Some(self.username.clone());
        }
        if !self.password.is_empty() {
            info.redis.password = Some(self.password.expose().to_owned());
        }
        let client = if self.tls {
            let ca = if self.cacertfile.is_empty() {
                cx.global.tlsclient.cacertfile.clone()
            } else {
                self.cacertfile.clone()
            };
            let root_cert = if ca.is_empty() {
                None
            } else {
                Some(read(&ca).map_err(|e| BuildError::new(&cx.path, e))?)
            };
            let client_tls = if self.mutualtls {
                let files = cx.global.mutual_tls_files();
                let cert = if self.certfile.is_empty() {
                    files.cert.display().to_string()
                } else {
                    self.certfile.clone()
                };
                let key = if self.keyfile.is_empty() {
                    files.key.display().to_string()
                } else {
                    self.keyfile.clone()
                };
                Some(redis::ClientTlsConfig {
                    client_cert: read(&cert).map_err(|e| BuildError::new(&cx.path, e))?,
                    client_key: read(&key).map_err(|e| BuildError::new(&cx.path, e))?,
                })
            } else {
                None
            };
            redis::Client::build_with_tls(
                info,
                redis::TlsCertificates {
                    client_tls,
                    root_cert,
                },
            )
        } else {
            redis::Client::open(info)
        }
        .map_err(|e| BuildError::new(&cx.path, e))?;
        let storage = self.storagetype.get();
        Ok(Arc::new(Redis::new(client, storage, self.key)))
    }
}
