//! OpenFaaS output: each alert's payload JSON is posted to a function through the OpenFaaS
//! gateway (<https://docs.openfaas.com/reference/rest-api/>) at
//! `http://{gatewayservice}.{gatewaynamespace}:{gatewayport}/function/{functionname}.{functionnamespace}`,
//! exactly as falcosidekick sends it without a kubeconfig.
//!
//! Differences from falcosidekick: `kubeconfig` (calls through the Kubernetes API server's
//! service proxy) is refused by `falconer check`, since Falconer in the cluster reaches the
//! gateway's service directly; `hostport` (Falconer's addition) replaces
//! `http://{gatewayservice}.{gatewaynamespace}:{gatewayport}` to reach the gateway from
//! elsewhere.

mod config;
#[cfg(test)]
mod tests;

pub use config::OpenfaasConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<OpenfaasConfig>();
