//! Delivery: one `RPUSH` or `HSET` per batch on the managed connection.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use redis::aio::ConnectionManager;
use tokio::sync::OnceCell;

/// Limit of one connection attempt.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Where alerts are stored (`storagetype`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Storage {
    /// `RPUSH key payload…` (`list`, default).
    #[default]
    List,
    /// `HSET key uuid payload…` (`hashmap` or `hash`).
    Hash,
}

impl falconer_core::Choices for Storage {
    fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "" | "list" => Some(Storage::List),
            "hashmap" | "hash" => Some(Storage::Hash),
            _ => None,
        }
    }

    fn problem(raw: &str) -> String {
        format!("{raw:?} is not list or hashmap")
    }
}

/// A running Redis instance.
pub(crate) struct Redis {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    storage: Storage,
    key: String,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("storage", &self.storage)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// A failed command as the core understands it: connection trouble and "try again" answers
/// are retried, other server errors (wrong type, no permission, bad password) are final.
fn classify(e: redis::RedisError) -> SendError {
    use redis::ErrorKind;
    if e.is_timeout() {
        return SendError::Timeout(std::time::Duration::ZERO);
    }
    if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() {
        return SendError::Connect(Box::new(e));
    }
    match e.kind() {
        ErrorKind::TryAgain
        | ErrorKind::BusyLoadingError
        | ErrorKind::ReadOnly
        | ErrorKind::ClusterDown
        | ErrorKind::MasterDown => SendError::Other(Box::new(e)),
        _ => SendError::Rejected(e.to_string()),
    }
}

impl Redis {
    pub(crate) fn new(client: redis::Client, storage: Storage, key: String) -> Self {
        Redis {
            client,
            connection: OnceCell::new(),
            storage,
            key,
        }
    }

    async fn connection(&self) -> Result<ConnectionManager, SendError> {
        self.connection
            .get_or_try_init(|| async {
                // Fail fast: the delivery core, not the driver, decides when to try again.
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_number_of_retries(1)
                    .set_connection_timeout(CONNECT_TIMEOUT);
                self.client.get_connection_manager_with_config(config).await
            })
            .await
            .cloned()
            .map_err(classify)
    }
}

#[async_trait::async_trait]
impl Output for Redis {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut connection = self.connection().await?;
        let mut cmd = match self.storage {
            Storage::List => redis::cmd("RPUSH"),
            Storage::Hash => redis::cmd("HSET"),
        };
        cmd.arg(&self.key);
        for alert in batch {
            if self.storage == Storage::Hash {
                cmd.arg(&alert.uuid);
            }
            cmd.arg(alert.json_bytes().as_ref());
        }
        cmd.query_async::<()>(&mut connection)
            .await
            .map_err(classify)
    }
}
