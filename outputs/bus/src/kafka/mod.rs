//! Kafka output: each alert's payload JSON is produced to one topic with librdkafka, with an
//! optional key and headers rendered from Go templates. A batch counts as delivered when every
//! delivery report is in (with `requiredacks: ALL` by default); failures are classified for
//! the delivery core, which owns retries.

mod classify;
mod config;
mod output;
mod producer;

pub use config::KafkaConfig;
pub use producer::{Acks, Compression, Partitioner, Sasl};

/// The registry entry of the `kafka` kind.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<KafkaConfig>();
