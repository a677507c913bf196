//! AWS SQS output, falcosidekick's `aws.sqs` block: each alert's payload JSON is a message
//! body on the queue at `url`. Beyond falcosidekick: up to 10 alerts per `SendMessageBatch`
//! call, each failed entry retried or given up on its own; message attributes `rule`,
//! `priority` and `source`; FIFO queues (`.fifo` URL) with a `messagegroupid` template and
//! the alert UUID as deduplication id.

mod config;
mod encode;
mod output;

pub use config::SqsConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<SqsConfig>();
