//! Delivery: one `_multi` request per batch, and OpenObserve's answer checked for dropped
//! records.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::ndjson;
use falconer_http::HttpTarget;
use serde::Deserialize;

/// Bytes of an ingest answer read at most.
const MAX_ANSWER: usize = 64 << 10;

/// A running OpenObserve instance.
#[derive(Debug)]
pub(crate) struct OpenObserve {
    target: HttpTarget,
}

impl OpenObserve {
    pub(crate) fn new(target: HttpTarget) -> Self {
        OpenObserve { target }
    }
}

/// `{"code":200,"status":[{"name":"falco","successful":1,"failed":0,"error":"…"}]}`.
#[derive(Deserialize)]
struct IngestAnswer {
    #[serde(default)]
    status: Vec<StreamStatus>,
}

#[derive(Deserialize)]
struct StreamStatus {
    #[serde(default)]
    failed: u64,
    #[serde(default)]
    error: Option<String>,
}

/// OpenObserve answers 200 even when it dropped records (too old, schema conflict), with
/// per-stream `failed` counts. Such records would be dropped again, so a batch with failed
/// records is final: it becomes dead letters with OpenObserve's reason. The answer does not
/// say which records failed, so the whole batch is given up (a replay of the accepted ones
/// is recognisable by UUID).
pub(crate) fn check_answer(answer: &[u8], sent: usize) -> Result<(), SendError> {
    let Ok(parsed) = serde_json::from_slice::<IngestAnswer>(answer) else {
        return Ok(());
    };
    let failed: u64 = parsed.status.iter().map(|s| s.failed).sum();
    if failed == 0 {
        return Ok(());
    }
    let reason = parsed
        .status
        .iter()
        .find_map(|s| s.error.as_deref())
        .unwrap_or("no reason given");
    Err(SendError::Rejected(format!(
        "OpenObserve dropped {failed} of {sent} record(s): {reason}"
    )))
}

#[async_trait::async_trait]
impl Output for OpenObserve {
    /// 429 and 5xx are retried by the shared classification; other 4xx (bad credentials,
    /// unknown organization) are final with OpenObserve's reason.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let answer = self.target.send_reading(ndjson(batch), MAX_ANSWER).await?;
        check_answer(&answer, batch.len())
    }
}
