//! Kafka REST output: alerts are produced to a topic through the Confluent REST Proxy
//! (<https://docs.confluent.io/platform/current/kafka-rest/api.html>, `POST /topics/{topic}`,
//! the `address` key) in its binary embedded format, as falcosidekick sends them: each record's
//! `value` is the base64 of the payload JSON, `Content-Type:
//! application/vnd.kafka.binary.v{version}+json`. One alert is falcosidekick's request byte
//! for byte; Falconer batches several into one request's `records` (500 alerts / 1 MiB /
//! 1 s by default).
//!
//! The proxy answers 200 with one `offsets` entry per record: a record with an `error_code`
//! is a failed delivery of its alert alone (code 2, retriable: retried; otherwise a dead
//! letter), where falcosidekick counted the request as delivered. A `version` other than 1
//! or 2 is a config error (falcosidekick silently used 2).

mod config;
mod encode;
mod output;
#[cfg(test)]
mod tests;

pub use config::KafkaRestConfig;
pub use encode::{content_type, records};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<KafkaRestConfig>();
