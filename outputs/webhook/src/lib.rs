//! Webhook output: POSTs (or PUTs) each alert, as falcosidekick's payload JSON, to `address`,
//! with `Content-Type: application/json; charset=utf-8` and the configured custom headers.
//! falcosidekick's keys: `address`, `method`, `customheaders`, `checkcert`, `mutualtls`.

mod config;
mod output;
#[cfg(test)]
mod tests;

pub use config::{Method, WebhookConfig};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<WebhookConfig>();
