//! Delivery: one write request per batch, its points in order.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;

use super::encode::{point, Precision};

/// A running InfluxDB instance.
#[derive(Debug)]
pub(crate) struct InfluxDb {
    target: HttpTarget,
    precision: Precision,
}

impl InfluxDb {
    pub(crate) fn new(target: HttpTarget, precision: Precision) -> Self {
        InfluxDb { target, precision }
    }
}

/// The body of one write: a point per alert.
pub(crate) fn body(batch: &[Arc<Alert>], precision: Precision) -> String {
    let mut out = String::with_capacity(batch.len() * 512);
    for alert in batch {
        point(alert, precision, &mut out);
    }
    out
}

#[async_trait::async_trait]
impl Output for InfluxDb {
    /// InfluxDB answers 204; a 400 (a point it cannot parse, a field type conflict) or 404
    /// (no such database) is final with its reason, 429 and 5xx are retried, by the shared
    /// classification.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.target.send(body(batch, self.precision)).await
    }
}
