//! Delivery: a batch is one store transaction (duplicates skipped by UUID), or, with `url`,
//! one falcosidekick WebUI POST per alert.

use std::sync::Arc;

use bytes::Bytes;
use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;
use falconer_webui::{Store, StoreError};

use crate::drops::DropRecorder;

/// Writes into the built-in store.
pub(crate) struct StoreOutput {
    store: Store,
    name: String,
    /// Counts what the core gave up on, for the UI's "not stored" banner.
    drops: Arc<DropRecorder>,
}

impl std::fmt::Debug for StoreOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreOutput")
            .field("store", &self.store.kind())
            .field("name", &self.name)
            .finish()
    }
}

impl StoreOutput {
    /// Must be called within a tokio runtime (it starts the drop-count writer).
    pub(crate) fn new(store: Store, name: String) -> Self {
        let drops = DropRecorder::start(store.clone(), name.clone());
        StoreOutput { store, name, drops }
    }
}

/// Busy, locked or unreachable databases are retried; the rest (a corrupt file, bad
/// permissions) are final.
fn classify(e: StoreError) -> SendError {
    if e.is_transient() {
        SendError::Other(Box::new(e))
    } else {
        SendError::Rejected(e.to_string())
    }
}

#[async_trait::async_trait]
impl Output for StoreOutput {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        let added = self.store.insert(batch).await.map_err(classify)?;
        if (added as usize) < batch.len() {
            tracing::debug!(output = %self.name, skipped = batch.len() - added as usize,
                "alerts already stored (a retry) were skipped");
        }
        Ok(())
    }

    async fn healthcheck(&self) -> Result<(), SendError> {
        self.store.ping().await.map_err(classify)
    }

    fn dropped(&self, alerts: &[Arc<Alert>], reason: &'static str) {
        self.drops.record(alerts, reason);
    }
}

/// POSTs to a remote UI.
#[derive(Debug)]
pub(crate) struct Remote {
    target: HttpTarget,
}

impl Remote {
    pub(crate) fn new(target: HttpTarget) -> Self {
        Remote { target }
    }
}

/// falcosidekick's body: `{"event":<payload>,"outputs":[]}` (Falconer has no single list of
/// "enabled outputs" per alert to report).
pub(crate) fn body(alert: &Alert) -> Bytes {
    let payload = alert.to_json();
    let mut b = Vec::with_capacity(payload.len() + 32);
    b.extend_from_slice(b"{\"event\":");
    b.extend_from_slice(payload);
    b.extend_from_slice(b",\"outputs\":[]}");
    Bytes::from(b)
}

#[async_trait::async_trait]
impl Output for Remote {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        for alert in batch {
            self.target.send(body(alert)).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falcosidekick_webui_body() {
        let alert = falconer_testkit::enriched(falconer_testkit::CONFIGMAP_ALERT, 7);
        let got = body(&alert);
        let want = include_str!("../tests/fixtures/webui_add.json").trim_end();
        assert_eq!(String::from_utf8_lossy(&got), want);
        let v: serde_json::Value = serde_json::from_slice(&got).expect("valid JSON");
        assert_eq!(v["outputs"], serde_json::json!([]));
    }
}
