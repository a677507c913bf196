//! AWS Security Lake output, falcosidekick's `aws.securitylake` block: alerts as OCSF
//! Security Finding (class 2001) records, written as one Parquet object per batch to the
//! Security Lake custom-source bucket at
//! `<prefix>/region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/<uuid>.parquet`.
//!
//! falcosidekick keeps the alerts in an in-memory ring and a worker uploads up to `batchsize`
//! of them every `interval` minutes. Here the delivery core batches instead (`batchsize`
//! alerts, or `interval` minutes after the first), so a failed upload is retried, spooled
//! and dead-lettered like any other output's.

mod config;
mod ocsf;
mod output;
mod parquet_file;

pub use config::SecurityLakeConfig;
pub use ocsf::{Finding, Observable};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<SecurityLakeConfig>();
