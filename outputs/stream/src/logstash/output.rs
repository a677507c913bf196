//! Delivery: the batch's lines in one write on the persistent connection.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};

use super::encode::logstash_line;
use crate::transport::Transport;

/// A running logstash instance.
#[derive(Debug)]
pub(crate) struct Logstash {
    tags: Vec<String>,
    transport: Transport,
}

impl Logstash {
    pub(crate) fn new(tags: Vec<String>, transport: Transport) -> Self {
        Logstash { tags, transport }
    }
}

#[async_trait::async_trait]
impl Output for Logstash {
    /// `Ok` means the lines were written to the connection (TCP has no acknowledgements). A
    /// write error drops the connection and is a `Connect` error, so the core sends the
    /// batch again on a new one (at least once: Logstash may get a line twice).
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut bytes = Vec::new();
        for alert in batch {
            bytes.extend(logstash_line(alert, &self.tags));
        }
        self.transport.write_stream(&bytes).await
    }

    /// Opens the connection (TLS handshake included).
    async fn healthcheck(&self) -> Result<(), SendError> {
        self.transport.open().await
    }
}
