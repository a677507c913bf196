//! The `azureeventhub` kind: the payload JSON as Event Hubs events, sent over the Event Hubs
//! REST API with a Microsoft Entra ID token (falcosidekick uses the Azure SDK's AMQP client
//! with the default credential): one event per alert, a batch per request.

mod config;
mod output;

pub use config::EventHubConfig;
pub use output::{batch_body, BATCH_CONTENT_TYPE, SINGLE_CONTENT_TYPE};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<EventHubConfig>();
