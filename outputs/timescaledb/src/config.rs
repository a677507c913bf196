//! The `timescaledb` block: falcosidekick's keys (and defaults) plus `createtable` and
//! `maxconnections`.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use serde::Deserialize;

use crate::output::TimescaleDb;
use crate::rows::{is_plain_table_name, Layout};

/// Configuration of one TimescaleDB (or plain PostgreSQL) instance. `Debug` never shows the
/// password.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimescaleDbConfig {
    /// Server host name or address (or a Unix socket directory).
    pub host: String,
    /// Server port.
    #[serde(default = "default_port")]
    pub port: u16,
    /// User.
    #[serde(default = "default_user")]
    pub user: String,
    /// Password.
    #[serde(default = "default_password")]
    pub password: Secret,
    /// Database.
    #[serde(default = "default_database")]
    pub database: String,
    /// Table (or hypertable) the alerts are inserted into; `schema.table` allowed.
    #[serde(default = "default_table")]
    pub hypertablename: String,
    /// Create the table when it does not exist, and make it a hypertable when the
    /// `timescaledb` extension is installed (Falconer addition).
    #[serde(default = "default_true")]
    pub createtable: bool,
    /// Connections in the pool at most (Falconer addition).
    #[serde(default = "default_connections")]
    pub maxconnections: usize,
}

fn default_port() -> u16 {
    5432
}

fn default_user() -> String {
    "postgres".into()
}

fn default_password() -> Secret {
    Secret::new("postgres")
}

fn default_database() -> String {
    "falcosidekick".into()
}

fn default_table() -> String {
    "falcosidekick_events".into()
}

fn default_true() -> bool {
    true
}

fn default_connections() -> usize {
    4
}

/// Rows per INSERT at most.
const MAX_BATCH: usize = 1000;

/// Limit of opening one connection, and of waiting for a free one.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[async_trait::async_trait]
impl OutputConfig for TimescaleDbConfig {
    const KIND: &'static str = "timescaledb";
    const BLOCK: &'static str = "timescaledb";
    const ENABLED_BY: &'static [&'static str] = &["host"];
    const DESTINATION: &'static str = "timescaledb";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(MAX_BATCH, 16 << 20, Duration::ZERO);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if self.host.trim().is_empty() {
            problems.push("host", "must not be empty");
        }
        if self.port == 0 {
            problems.push("port", "must not be 0");
        }
        if self.user.is_empty() {
            problems.push("user", "must not be empty");
        }
        if self.database.is_empty() {
            problems.push("database", "must not be empty");
        }
        if !is_plain_table_name(&self.hypertablename) {
            problems.push(
                "hypertablename",
                format!(
                    "{:?} is not a table name (letters, digits, _ and $, optionally schema.table)",
                    self.hypertablename
                ),
            );
        }
        if self.maxconnections == 0 {
            problems.push("maxconnections", "must be at least 1");
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let mut pg = tokio_postgres::Config::new();
        pg.host(self.host.trim())
            .port(self.port)
            .user(&self.user)
            .password(self.password.expose())
            .dbname(&self.database)
            .application_name(format!("falconer:{}", cx.name))
            .connect_timeout(CONNECT_TIMEOUT)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(60));
        let manager = Manager::from_config(
            pg,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        // Connections are opened on demand: a database that is down does not stop startup.
        let pool = Pool::builder(manager)
            .max_size(self.maxconnections)
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(CONNECT_TIMEOUT))
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| BuildError::new(&cx.path, e))?;
        let custom = cx
            .global
            .customfields
            .keys()
            .chain(cx.global.templatedfields.keys());
        let layout = Layout::new(&self.hypertablename, custom);
        Ok(Arc::new(TimescaleDb::new(
            pool,
            layout,
            self.createtable,
            cx.name,
        )))
    }
}
