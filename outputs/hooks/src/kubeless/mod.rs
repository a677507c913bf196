//! Kubeless output: each alert's payload JSON is posted to a function's service
//! (`http://{function}.{namespace}.svc.cluster.local:{port}`), exactly as falcosidekick sends
//! it without a kubeconfig: `Content-Type: application/json` and the Kubeless event headers
//! `event-id`, `event-type: falco` and `event-namespace: {namespace}`.
//!
//! Differences from falcosidekick: `event-id` is the alert's UUID (falcosidekick makes a new
//! random one per request), so a retried alert keeps its ID; `kubeconfig` (calls through the
//! Kubernetes API server's service proxy) is refused by `falconer check`; `hostport`
//! (Falconer's addition) replaces `http://{function}.{namespace}.svc.cluster.local:{port}`.
//! Kubeless itself is archived upstream.

mod config;
#[cfg(test)]
mod tests;

pub use config::KubelessConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<KubelessConfig>();
