//! Fission output: each alert's payload JSON is posted to a function through the Fission
//! router (<https://fission.io/docs/usage/triggers/http-trigger/>) at
//! `http://{routerservice}.{routernamespace}.svc.cluster.local:{routerport}/fission-function/{function}`,
//! exactly as falcosidekick sends it without a kubeconfig: `Content-Type: application/json`
//! and an `event-id` header.
//!
//! Differences from falcosidekick: `event-id` is the alert's UUID (falcosidekick makes a new
//! random one per request), so a retried alert keeps its ID; `kubeconfig` (calls through the
//! Kubernetes API server's service proxy, whose path falcosidekick builds wrongly) is
//! refused by `falconer check`; `hostport` (Falconer's addition) replaces
//! `http://{routerservice}.{routernamespace}.svc.cluster.local:{routerport}`.
//! The metric destination is falcosidekick's `Fission`, capitalised.

mod config;
#[cfg(test)]
mod tests;

pub use config::FissionConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<FissionConfig>();
