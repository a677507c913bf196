//! Delivery: the source set up once, then one gzipped NDJSON request per batch.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use falconer_core::{Alert, Output, Retry, SendError};
use falconer_http::HttpTarget;

use super::encode::record;

/// Bytes of the source list read at most.
const MAX_SOURCES_BYTES: usize = 4 << 20;

/// What a running instance needs (built by the config).
#[derive(Debug)]
pub(crate) struct SpyderbatSettings {
    /// `POST …/source/{uid}/data/sb-agent`, gzipped NDJSON.
    pub(crate) data: HttpTarget,
    /// `GET …/source/`.
    pub(crate) list: HttpTarget,
    /// `POST …/source/`.
    pub(crate) create: HttpTarget,
    /// `falcosidekick_{orguid}`.
    pub(crate) source_uid: String,
    /// The body creating the source.
    pub(crate) source_body: Vec<u8>,
}

/// A running Spyderbat instance.
#[derive(Debug)]
pub(crate) struct Spyderbat {
    settings: SpyderbatSettings,
    source_ready: AtomicBool,
}

/// True when the JSON list of sources holds one whose `uid` is `uid`.
pub(crate) fn has_source(list: &[u8], uid: &str) -> bool {
    serde_json::from_slice::<Vec<serde_json::Value>>(list)
        .map(|sources| sources.iter().any(|s| s["uid"].as_str() == Some(uid)))
        .unwrap_or(false)
}

/// `error` for each of `n` alerts (one failed request fails them all, each classified alike).
fn for_each(error: SendError, n: usize) -> Vec<SendError> {
    let retry = error.retry();
    let text = error.to_string();
    let mut out = vec![error];
    out.extend((1..n).map(|_| match retry {
        Retry::Never => SendError::Rejected(text.clone()),
        _ => SendError::Other(text.clone().into()),
    }));
    out
}

impl Spyderbat {
    pub(crate) fn new(settings: SpyderbatSettings) -> Self {
        Spyderbat {
            settings,
            source_ready: AtomicBool::new(false),
        }
    }

    async fn listed(&self) -> Result<bool, SendError> {
        let list = self
            .settings
            .list
            .send_reading(Vec::new(), MAX_SOURCES_BYTES)
            .await?;
        Ok(has_source(&list, &self.settings.source_uid))
    }

    /// Looks the source up, and creates it when missing (as falcosidekick does at startup).
    async fn ensure_source(&self) -> Result<(), SendError> {
        if self.source_ready.load(Ordering::Acquire) {
            return Ok(());
        }
        if !self.listed().await? {
            if let Err(e) = self
                .settings
                .create
                .send(self.settings.source_body.clone())
                .await
            {
                if !self.listed().await? {
                    return Err(e);
                }
            }
            tracing::info!(source = %self.settings.source_uid, "Spyderbat source ready.");
        }
        self.source_ready.store(true, Ordering::Release);
        Ok(())
    }
}

#[async_trait::async_trait]
impl Output for Spyderbat {
    /// Alerts without `evt.time` or `proc.pid` are final failures; the others go in one
    /// request. 429, 5xx and timeouts are retried; other 4xx (a bad key) are final.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.ensure_source().await?;
        let now = SystemTime::now();
        let mut body = Vec::new();
        let mut sent = Vec::new();
        let mut failed = Vec::new();
        for (i, alert) in batch.iter().enumerate() {
            match record(alert, now) {
                Ok(line) => {
                    body.extend_from_slice(&line);
                    sent.push(i);
                }
                Err(e) => failed.push((i, SendError::Encode(Box::new(e)))),
            }
        }
        if !sent.is_empty() {
            if let Err(e) = self.settings.data.send(body).await {
                if failed.is_empty() {
                    return Err(e);
                }
                failed.extend(sent.iter().copied().zip(for_each(e, sent.len())));
            }
        }
        match failed.len() {
            0 => Ok(()),
            1 if batch.len() == 1 => Err(failed.remove(0).1),
            _ => {
                failed.sort_by_key(|(i, _)| *i);
                Err(SendError::Partial(failed))
            }
        }
    }
}
