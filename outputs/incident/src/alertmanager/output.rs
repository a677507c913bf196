//! Delivery: one request per batch to every Alertmanager, concurrently, and the HA rule that
//! decides whether the attempt succeeded.

use std::sync::Arc;

use bytes::Bytes;
use falconer_core::{Alert, Output, Retry, SendError};
use falconer_http::HttpTarget;

use super::encode::AlertmanagerEncoder;

/// A running Alertmanager instance.
#[derive(Debug)]
pub(crate) struct Alertmanager {
    targets: Vec<HttpTarget>,
    ready: Vec<reqwest::Url>,
    encoder: AlertmanagerEncoder,
    require_all: bool,
}

impl Alertmanager {
    pub(crate) fn new(
        targets: Vec<HttpTarget>,
        ready: Vec<reqwest::Url>,
        encoder: AlertmanagerEncoder,
        require_all: bool,
    ) -> Self {
        Alertmanager {
            targets,
            ready,
            encoder,
            require_all,
        }
    }
}

/// `scheme://host:port` of a target, for logs (never the path or credentials).
fn host_of(target: &HttpTarget) -> String {
    let url = target.url();
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or_default()
    )
}

/// The outcome of one attempt on every host.
///
/// - Every host accepted: delivered.
/// - Some accepted: delivered, the other hosts' failures logged; with `require_all`, the
///   attempt fails with a failing host's error (a retryable one first), and the retry posts to
///   every host again (Alertmanager merges an alert it already has).
/// - None accepted: the most hopeful error, so the core retries when any host may take the
///   batch later, and gives up only when every host refused it for good.
pub(crate) fn decide(
    results: Vec<(String, Result<(), SendError>)>,
    require_all: bool,
) -> Result<(), SendError> {
    let accepted = results.iter().filter(|(_, r)| r.is_ok()).count();
    let total = results.len();
    let mut failures: Vec<(String, SendError)> = results
        .into_iter()
        .filter_map(|(host, r)| r.err().map(|e| (host, e)))
        .collect();
    if failures.is_empty() {
        return Ok(());
    }
    if accepted > 0 && !require_all {
        for (host, e) in &failures {
            tracing::warn!(
                alertmanager = %host,
                error = %e,
                "an Alertmanager of the cluster did not take the alerts; {accepted} of {total} did"
            );
        }
        return Ok(());
    }
    let pick = failures
        .iter()
        .position(|(_, e)| e.retry() != Retry::Never)
        .unwrap_or(0);
    let (host, error) = failures.swap_remove(pick);
    if total > 1 {
        tracing::debug!(alertmanager = %host, "{accepted} of {total} Alertmanagers took the alerts");
    }
    Err(error)
}

#[async_trait::async_trait]
impl Output for Alertmanager {
    /// Alertmanager answers 200. 400 (an invalid alert) is final with its reason; 429 and 5xx
    /// are retried by the shared classification.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let body = Bytes::from(self.encoder.body(batch)?);
        if let [only] = self.targets.as_slice() {
            return only.send(body).await;
        }
        let attempts = self.targets.iter().map(|t| {
            let body = body.clone();
            async move { (host_of(t), t.send(body).await) }
        });
        decide(
            futures_util::future::join_all(attempts).await,
            self.require_all,
        )
    }

    /// `GET {hostport}/-/ready` on every host, with the same rule as delivery.
    async fn healthcheck(&self) -> Result<(), SendError> {
        let probes = self
            .targets
            .iter()
            .zip(&self.ready)
            .map(|(t, url)| async move {
                let probe = t.retarget(reqwest::Method::GET, url.clone());
                (host_of(t), probe.send(Bytes::new()).await)
            });
        decide(
            futures_util::future::join_all(probes).await,
            self.require_all,
        )
    }
}
