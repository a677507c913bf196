//! AWS Kinesis Data Streams output, falcosidekick's `aws.kinesis` block: each alert's
//! payload JSON is a record of `streamname`. Beyond falcosidekick: up to 500 records per
//! `PutRecords` call, each failed record retried or given up on its own, and the partition
//! key is the alert UUID (stable across retries) or the `partitionkey` template.

mod config;
mod encode;
pub(crate) mod output;

pub use config::KinesisConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<KinesisConfig>();
