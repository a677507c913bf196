//! The `logstash` kind: each alert as one JSON line on one persistent TCP (or TLS)
//! connection to Logstash's `tcp` input (`codec => json_lines`), as falcosidekick's go-stash
//! client writes it:
//!
//! - the line is the payload JSON with the block's `tags` appended to the alert's tags, and
//!   output field names of the form `key[0]` rewritten to `key.0` (Logstash's JSON parser
//!   refuses the bracket form);
//! - each line ends with `\r\n`.
//!
//! TCP has no acknowledgements: a write that completed counts as delivered. A connection
//! Logstash closed is noticed before the next write and replaced; a failed write fails the
//! attempt as a connection error, so the core retries the batch on a new connection.

mod config;
mod encode;
mod output;
#[cfg(test)]
mod tests;

pub use config::LogstashConfig;
pub use encode::{logstash_line, without_index_brackets};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<LogstashConfig>();
