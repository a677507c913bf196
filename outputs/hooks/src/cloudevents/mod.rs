//! CloudEvents output: each alert is sent as a CloudEvent in HTTP binary content mode
//! (<https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md>),
//! as falcosidekick's CloudEvents SDK client sends it: the payload JSON as the body
//! (`Content-Type: application/json`), and the attributes as `ce-*` headers —
//! `ce-specversion: 1.0`, `ce-id`, `ce-source: https://falco.org`,
//! `ce-type: falco.rule.output.v1`, `ce-time` (the alert's time, RFC 3339 in UTC),
//! the extensions `ce-priority`, `ce-rule`, `ce-eventsource`, `ce-hostname` (when the alert
//! has one) and every configured `extensions` entry.
//!
//! Differences from falcosidekick: `ce-id` is the alert's UUID (the SDK makes a new random
//! one per send), so a retried alert is the same event; an HTTP error answer is classified
//! (5xx and 429 retried, other 4xx final) where falcosidekick counted every answer as
//! delivered; `checkcert` and `mutualtls` are applied (the SDK client ignored them); an
//! extension name that is not a CloudEvents attribute name (lowercase letters and digits),
//! which made every send fail, is a config error.

mod config;
mod encode;
mod output;
#[cfg(test)]
mod tests;

pub use config::CloudeventsConfig;
pub use encode::{rfc3339_nano, CloudEvent, Encoder, SOURCE, SPEC_VERSION, TYPE};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<CloudeventsConfig>();
