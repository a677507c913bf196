//! AWS S3 output, falcosidekick's `aws.s3` block: `PutObject` of the payload JSON at
//! `<prefix>/<YYYY-MM-DD>/<now, RFC 3339 with nanoseconds>.json`, with the canned ACL and a
//! CRC32 checksum. Beyond falcosidekick: `ndjson: true` writes one newline-delimited JSON
//! object per batch (`batch.maxevents` alerts or `batch.linger` after the first, defaults
//! 1000 alerts / 60 s) at the same path with `.ndjson`.

mod config;
mod encode;
pub(crate) mod output;

pub use config::S3Config;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<S3Config>();
