//! MQTT output, falcosidekick's `mqtt` block: the alert's payload JSON published on a topic
//! (`falco/events` by default) with the configured QoS and retain flag. Unlike falcosidekick,
//! which connects and disconnects for every alert, an instance keeps one connection, kept
//! alive and re-established with backoff by a background task; a broker that is down at
//! startup does not stop Falconer (sends fail with a retryable connection error until it is
//! back). A send completes when the broker has acknowledged every publish of the batch
//! (PUBACK for QoS 1, PUBCOMP for QoS 2) or, with QoS 0, when they are written.

mod broker;
mod config;
mod link;
mod output;

pub use config::MqttConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<MqttConfig>();
