//! Delivery: one export request per batch.

use std::sync::Arc;
use std::time::Duration;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;
use prost::Message;

use super::encode::{export_request, log_record};
use crate::common::send_within;

/// A running OTLP logs instance.
#[derive(Debug)]
pub(crate) struct Logs {
    pub(crate) target: HttpTarget,
    pub(crate) timeout: Duration,
}

#[async_trait::async_trait]
impl Output for Logs {
    /// The collector takes a request's records together: 429 and 5xx are retried, other 4xx
    /// final.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let observed = u64::try_from(chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default())
            .unwrap_or_default();
        let records = batch.iter().map(|a| log_record(a, observed)).collect();
        send_within(
            &self.target,
            export_request(records).encode_to_vec(),
            self.timeout,
        )
        .await
    }
}
