//! Delivery settings of an output instance (retries, circuit breaker, batching, durable spool)
//! and the global dead-letter store. Keys left unset take the output kind's defaults, which
//! the delivery core resolves (see `falconer-core`).

use serde::Deserialize;

use crate::duration::GoDuration;

/// `retry.*`: how failed delivery attempts are retried.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetrySettings {
    /// Attempts per alert, the first included (`1` = never retry, `0` = no limit but
    /// `maxage`). Default: 5, or 0 with the spool on.
    pub maxattempts: Option<u32>,
    /// Backoff before the first retry (doubled after each failure, with full jitter).
    /// Default: 500ms.
    pub initialbackoff: Option<GoDuration>,
    /// Longest backoff between two attempts. Default: 30s.
    pub maxbackoff: Option<GoDuration>,
    /// An alert older than this (since it was accepted) is not retried again and goes to
    /// the dead-letter store. Default: 10m, or 24h with the spool on.
    pub maxage: Option<GoDuration>,
}

/// `breaker.*`: the circuit breaker that stops hammering a failing destination.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakerSettings {
    /// Consecutive failed attempts that open the breaker (`0` = no breaker).
    pub failures: u32,
    /// While open, one probe attempt is let through this often; a success closes it.
    pub cooldown: GoDuration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        BreakerSettings {
            failures: 5,
            cooldown: GoDuration::from_secs(10),
        }
    }
}

/// `batch.*`: for kinds that send many alerts per request. A batch is sent when it holds
/// `maxevents` alerts or `maxbytes` of payload, or `linger` after its first alert, whichever
/// comes first. Ignored by kinds that send one alert per request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BatchSettings {
    /// Alerts per request at most. Default: the kind's.
    pub maxevents: Option<usize>,
    /// Payload bytes per request at most (an alert larger than this goes alone). Default:
    /// the kind's.
    pub maxbytes: Option<usize>,
    /// How long a partial batch waits for more alerts. Default: the kind's.
    pub linger: Option<GoDuration>,
}

/// `spool.*`: the durable on-disk queue of an output instance.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpoolSettings {
    /// Write alerts for this output to disk (fsync'd, many alerts per fsync) before the
    /// ingest request is answered, deliver them from there, and replay them after a restart.
    pub enabled: bool,
    /// Payload bytes the spool holds at most; beyond it `queue.overflow` applies.
    pub maxbytes: u64,
}

/// Default `spool.maxbytes`: 256 MiB.
pub const DEFAULT_SPOOL_BYTES: u64 = 256 * 1024 * 1024;

impl Default for SpoolSettings {
    fn default() -> Self {
        SpoolSettings {
            enabled: false,
            maxbytes: DEFAULT_SPOOL_BYTES,
        }
    }
}

/// `deadletter.*` (global): where alerts go that an output gave up on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeadLetterSettings {
    /// Keep dead letters. When off, they are still counted and logged.
    pub enabled: bool,
    /// Size at which `deadletter.jsonl` (under `datadir`) is rotated.
    pub maxbytes: u64,
    /// Rotated files kept (`deadletter.jsonl.1` … `.N`); the oldest is deleted.
    pub maxfiles: u32,
    /// Name of an output instance that receives dead letters (as alerts) instead of the
    /// file. What that output cannot deliver goes to the file.
    pub output: String,
}

impl Default for DeadLetterSettings {
    fn default() -> Self {
        DeadLetterSettings {
            enabled: true,
            maxbytes: 100 * 1024 * 1024,
            maxfiles: 5,
            output: String::new(),
        }
    }
}
