//! Delivery: one prepared INSERT per batch on a pooled connection, after a one-time check
//! that the table exists (created, and made a hypertable when TimescaleDB is installed).

use std::sync::Arc;

use deadpool_postgres::{Pool, PoolError};
use falconer_core::{Alert, Output, SendError};
use tokio_postgres::types::ToSql;

use crate::rows::Layout;

/// A running TimescaleDB instance.
pub(crate) struct TimescaleDb {
    pool: Pool,
    layout: Layout,
    insert: String,
    create: bool,
    /// The table was checked (and created) on this run.
    ready: tokio::sync::Mutex<bool>,
    name: String,
}

impl std::fmt::Debug for TimescaleDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimescaleDb")
            .field("layout", &self.layout)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// What a failed statement means for the alerts, from its SQLSTATE class: connection
/// trouble, shutdowns, lack of resources and transaction conflicts are retried; a refused
/// login, a missing database, table or column, a missing privilege, bad data and broken
/// constraints are final (`rejected`). Errors without a SQLSTATE are connection failures.
pub(crate) fn classify(e: tokio_postgres::Error) -> SendError {
    let Some(db) = e.as_db_error() else {
        return SendError::Connect(Box::new(e));
    };
    let code = db.code().code();
    let class = &code[..2.min(code.len())];
    match class {
        // connection exception; operator intervention (shutdown, cannot connect now)
        "08" | "57" => SendError::Connect(Box::new(e)),
        // invalid authorization; invalid catalog name (no such database); syntax or access
        // rule violation (no such table or column, no privilege); data exception; integrity
        // constraint violation; feature not supported; invalid schema name
        "28" | "3D" | "42" | "22" | "23" | "0A" | "3F" => {
            SendError::Rejected(format!("PostgreSQL refused ({code}): {}", db.message()))
        }
        // insufficient resources, transaction rollback (serialization, deadlock), object
        // not in prerequisite state (lock not available), system errors, and the rest
        _ => SendError::Other(Box::new(e)),
    }
}

fn classify_pool(e: PoolError) -> SendError {
    match e {
        PoolError::Backend(e) => classify(e),
        PoolError::Timeout(_) => SendError::Timeout(std::time::Duration::ZERO),
        other => SendError::Other(Box::new(other)),
    }
}

/// SQLSTATE `undefined_table`.
const UNDEFINED_TABLE: &str = "42P01";

impl TimescaleDb {
    pub(crate) fn new(pool: Pool, layout: Layout, create: bool, name: String) -> Self {
        TimescaleDb {
            insert: layout.insert_sql(),
            pool,
            layout,
            create,
            ready: tokio::sync::Mutex::new(false),
            name,
        }
    }

    /// Creates the table when it is missing, and makes it a hypertable when the
    /// `timescaledb` extension is installed. An existing table is left as it is.
    async fn prepare_table(&self, client: &tokio_postgres::Client) -> Result<(), SendError> {
        let mut ready = self.ready.lock().await;
        if *ready || !self.create {
            return Ok(());
        }
        let exists: bool = client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&self.layout.table])
            .await
            .map_err(classify)?
            .get(0);
        if !exists {
            client
                .batch_execute(&self.layout.create_sql())
                .await
                .map_err(classify)?;
            let timescale: bool = client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')",
                    &[],
                )
                .await
                .map_err(classify)?
                .get(0);
            if timescale {
                client
                    .query_one(
                        "SELECT create_hypertable($1::regclass, 'time', if_not_exists => TRUE)",
                        &[&self.layout.table],
                    )
                    .await
                    .map_err(classify)?;
            }
            tracing::info!(output = %self.name, table = %self.layout.table, hypertable = timescale,
                "created the alerts table");
        }
        *ready = true;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Output for TimescaleDb {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let client = self.pool.get().await.map_err(classify_pool)?;
        self.prepare_table(&client).await?;
        let statement = client
            .prepare_cached(&self.insert)
            .await
            .map_err(|e| self.insert_error(e))?;
        let rows = self.layout.rows(batch);
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(1 + rows.text.len());
        params.push(&rows.time);
        for column in &rows.text {
            params.push(column);
        }
        client
            .execute(&statement, &params)
            .await
            .map(|_| ())
            .map_err(|e| self.insert_error(e))
    }

    async fn healthcheck(&self) -> Result<(), SendError> {
        let client = self.pool.get().await.map_err(classify_pool)?;
        client
            .simple_query("SELECT 1")
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

impl TimescaleDb {
    /// A failed INSERT. A table dropped while Falconer runs is created again on the next
    /// attempt (when `createtable` is on), so that error is retried.
    fn insert_error(&self, e: tokio_postgres::Error) -> SendError {
        let missing = e
            .as_db_error()
            .is_some_and(|db| db.code().code() == UNDEFINED_TABLE);
        if missing && self.create {
            if let Ok(mut ready) = self.ready.try_lock() {
                *ready = false;
            }
            return SendError::Other(Box::new(e));
        }
        classify(e)
    }
}
