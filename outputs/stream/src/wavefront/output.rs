//! Delivery: a batch's point lines in one write to the proxy, or in one request to the API.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;

use super::encode::point_line;
use crate::transport::Transport;

/// Where a Wavefront instance sends its lines.
#[derive(Debug)]
pub(crate) enum WavefrontSink {
    /// The Wavefront API (`/report?f=wavefront`).
    Direct(HttpTarget),
    /// A proxy's metrics port.
    Proxy(Transport),
}

/// A running Wavefront instance.
#[derive(Debug)]
pub(crate) struct Wavefront {
    metric: String,
    sink: WavefrontSink,
    truncations: AtomicU64,
}

impl Wavefront {
    pub(crate) fn new(metric: String, sink: WavefrontSink) -> Self {
        Wavefront {
            metric,
            sink,
            truncations: AtomicU64::new(0),
        }
    }
}

#[async_trait::async_trait]
impl Output for Wavefront {
    /// Direct: the shared HTTP classification (429 and 5xx retried, other 4xx final). Proxy:
    /// a completed write counts as delivered (the proxy does not answer); a write error drops
    /// the connection and is retried on a new one.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut lines = String::new();
        for alert in batch {
            let (line, truncated) = point_line(alert, &self.metric);
            if truncated {
                self.truncations.fetch_add(1, Ordering::Relaxed);
            }
            lines.push_str(&line);
        }
        match &self.sink {
            WavefrontSink::Direct(target) => target.send(lines.into_bytes()).await,
            WavefrontSink::Proxy(transport) => transport.write_stream(lines.as_bytes()).await,
        }
    }

    fn take_truncations(&self) -> u64 {
        self.truncations.swap(0, Ordering::Relaxed)
    }

    /// Proxy: opens the connection. Direct: nothing to probe without sending a point.
    async fn healthcheck(&self) -> Result<(), SendError> {
        match &self.sink {
            WavefrontSink::Direct(_) => Ok(()),
            WavefrontSink::Proxy(transport) => transport.open().await,
        }
    }
}
