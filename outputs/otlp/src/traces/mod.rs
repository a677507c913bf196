//! The `otlptraces` kind: one span per syscall alert (other sources get none, as in
//! falcosidekick), exported over OTLP/HTTP protobuf, as
//! falcosidekick's OpenTelemetry tracer makes it: named after the rule, kind SERVER, from the
//! alert's time for `duration` milliseconds, in the trace of its pod (FNV-128a of
//! `<k8s.ns.name>:<k8s.pod.name>`, else of `container.id`, else of `evt.hostname`), with the
//! alert's fields as attributes and its output as a span event.

mod config;
mod encode;
mod output;

pub use config::TracesConfig;
pub use encode::{export_request, fnv128a, is_traced_source, span, span_id, spans, trace_id};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<TracesConfig>();
