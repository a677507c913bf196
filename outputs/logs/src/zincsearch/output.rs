//! Delivery: `_doc` for one alert (falcosidekick's request), `_multi` for a batch.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use falconer_http::ndjson;
use falconer_http::HttpTarget;

/// A running ZincSearch instance.
#[derive(Debug)]
pub(crate) struct ZincSearch {
    /// `POST …/api/{index}/_doc`.
    pub(crate) doc: HttpTarget,
    /// `POST …/api/{index}/_multi`.
    pub(crate) multi: HttpTarget,
}

#[async_trait::async_trait]
impl Output for ZincSearch {
    /// The body is the payload JSON plus a newline per alert either way (`_doc` reads one
    /// document, `_multi` one per line). 429 and 5xx are retried by the shared
    /// classification; other 4xx (bad credentials, a document ZincSearch cannot index) are
    /// final with its reason.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        match batch.len() {
            0 => Ok(()),
            1 => self.doc.send(ndjson(batch)).await,
            _ => self.multi.send(ndjson(batch)).await,
        }
    }
}
