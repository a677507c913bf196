//! The `gcppubsub` kind: `projects.topics.publish` on the Pub/Sub REST API, each message's
//! `data` the payload JSON (base64, as the API wants it) and its `attributes` the block's
//! `customattributes`, as falcosidekick publishes with Google's client; a batch is one
//! request of several messages.

mod config;
mod encode;
mod output;

pub use config::PubSubConfig;
pub use encode::publish_body;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<PubSubConfig>();
