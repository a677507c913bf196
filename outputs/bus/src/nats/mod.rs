//! NATS output: the alert's payload JSON published on falcosidekick's subject
//! (`falco.<priority>.<rule>` by default), over one long-lived connection with automatic
//! reconnects (falcosidekick connects per alert). A batch is published, then flushed: the
//! flush answer proves the server has every message. With `jetstream: true`, each message is
//! published to JetStream and its acknowledgement is the delivery confirmation.

mod config;
mod output;
mod subject;

pub use config::NatsConfig;
pub use subject::{slug, SubjectTemplate};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<NatsConfig>();
