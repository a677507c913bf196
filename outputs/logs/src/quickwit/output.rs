//! Delivery: one NDJSON ingest request per batch.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::ndjson;
use falconer_http::HttpTarget;
use serde::Deserialize;

/// Bytes of an ingest answer read at most.
const MAX_ANSWER: usize = 64 << 10;

/// A running Quickwit instance.
#[derive(Debug)]
pub(crate) struct Quickwit {
    target: HttpTarget,
}

impl Quickwit {
    pub(crate) fn new(target: HttpTarget) -> Self {
        Quickwit { target }
    }
}

/// The counters of an ingest answer (Quickwit 0.8+ reports rejected documents; 0.7 only
/// `num_docs_for_processing`).
#[derive(Deserialize)]
struct IngestAnswer {
    #[serde(default)]
    num_rejected_docs: u64,
}

/// A 2xx answer that reports rejected documents is final for the batch: Quickwit refused
/// those documents as unparsable and would refuse them again. The answer does not say which
/// ones, so the whole batch becomes dead letters with Quickwit's answer (their UUIDs let a
/// replay be de-duplicated).
pub(crate) fn check_answer(answer: &[u8], sent: usize) -> Result<(), SendError> {
    match serde_json::from_slice::<IngestAnswer>(answer) {
        Ok(a) if a.num_rejected_docs > 0 => Err(SendError::Rejected(format!(
            "Quickwit rejected {} of {sent} document(s): {}",
            a.num_rejected_docs,
            String::from_utf8_lossy(answer).trim()
        ))),
        _ => Ok(()),
    }
}

#[async_trait::async_trait]
impl Output for Quickwit {
    /// 429 and 5xx are retried by the shared classification (sending again may index twice:
    /// each document carries the alert's `uuid`); other 4xx (no such index, bad document)
    /// are final with Quickwit's reason.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let answer = self.target.send_reading(ndjson(batch), MAX_ANSWER).await?;
        check_answer(&answer, batch.len())
    }
}
