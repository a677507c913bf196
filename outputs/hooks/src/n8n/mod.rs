//! n8n output: each alert's payload JSON is posted to an n8n Webhook node
//! (<https://docs.n8n.io/integrations/builtin/core-nodes/n8n-nodes-base.webhook/>), exactly
//! as falcosidekick sends it, with the node's basic auth (`user`, `password`) and/or header
//! auth (`headerauthname`, `headerauthvalue`) when both keys of a pair are set.
//! `mutualtls` is Falconer's addition.

mod config;
#[cfg(test)]
mod tests;

pub use config::N8nConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<N8nConfig>();
