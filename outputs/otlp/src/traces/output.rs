//! Delivery: one export request per batch.

use std::sync::Arc;
use std::time::Duration;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;
use prost::Message;

use super::encode::{export_request, spans};
use crate::common::send_within;

/// A running OTLP traces instance.
#[derive(Debug)]
pub(crate) struct Traces {
    pub(crate) target: HttpTarget,
    pub(crate) duration_ms: u64,
    pub(crate) timeout: Duration,
}

fn untraceable() -> SendError {
    SendError::Rejected(
        "no k8s.ns.name and k8s.pod.name, container.id or evt.hostname to make a trace ID from"
            .into(),
    )
}

#[async_trait::async_trait]
impl Output for Traces {
    /// The collector takes a request's spans together: 429, 502, 503, 504 and 5xx are
    /// retried, other 4xx final. An alert without a trace is refused alone.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        let (spans, missing) = spans(batch, self.duration_ms);
        if !spans.is_empty() {
            let body = export_request(spans).encode_to_vec();
            send_within(&self.target, body, self.timeout).await?;
        }
        match (missing.len(), batch.len()) {
            (0, _) => Ok(()),
            (1, 1) => Err(untraceable()),
            _ => Err(SendError::Partial(
                missing.into_iter().map(|i| (i, untraceable())).collect(),
            )),
        }
    }
}
