//! The message-bus outputs, one module and one Cargo feature per kind (each client library
//! is compiled only with its kind's feature):
//! - [`kafka`]: the alert payloads produced to a topic with librdkafka, confirmed by delivery
//!   reports;
//! - [`nats`]: one long-lived connection, falcosidekick's subjects, flush-confirmed publishes
//!   or JetStream acknowledgements;
//! - [`rabbitmq`]: the alert payloads published with publisher confirms over one long-lived
//!   AMQP connection, re-opened after failures;
//! - [`mqtt`]: the alert payloads published over one long-lived connection, each send
//!   confirmed by the broker's PUBACK/PUBCOMP (QoS 1/2);
//! - [`redis`](mod@redis): RPUSH or HSET of the alert payloads, batched, over one managed
//!   connection.
//!
//! [`register`] adds the kinds this build enables.

#[cfg(feature = "kafka")]
pub mod kafka;
#[cfg(feature = "mqtt")]
pub mod mqtt;
#[cfg(feature = "nats")]
pub mod nats;
#[cfg(feature = "rabbitmq")]
pub mod rabbitmq;
#[cfg(feature = "redis")]
pub mod redis;

/// Adds the message-bus kinds enabled by this crate's features to `registry`.
pub fn register(registry: &mut falconer_core::Registry) {
    // Without any kind feature there is nothing to add.
    let _ = &registry;
    #[cfg(feature = "nats")]
    registry.insert(nats::KIND);
    #[cfg(feature = "redis")]
    registry.insert(redis::KIND);
    #[cfg(feature = "kafka")]
    registry.insert(kafka::KIND);
    #[cfg(feature = "mqtt")]
    registry.insert(mqtt::KIND);
    #[cfg(feature = "rabbitmq")]
    registry.insert(rabbitmq::KIND);
}
