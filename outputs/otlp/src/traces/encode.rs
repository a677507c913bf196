//! Spans and the export request.

use std::sync::Arc;

use falconer_event::Alert;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span};
use serde_json::Value;

use crate::common::{resource, string, strings};
use falconer_event::go_value;

/// The tracer's name, as falcosidekick sets it.
pub const SCOPE: &str = "falco-event";

/// FNV-1a, 128 bits, big-endian (Go's `hash/fnv` `New128a().Sum(nil)`).
pub fn fnv128a(data: &[u8]) -> [u8; 16] {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let hash = data
        .iter()
        .fold(OFFSET, |h, b| (h ^ u128::from(*b)).wrapping_mul(PRIME));
    hash.to_be_bytes()
}

/// The trace of `alert`: its pod's, else its container's (not `host`), else its host's; none
/// when the alert has none of these fields (falcosidekick drops such alerts with an error).
pub fn trace_id(alert: &Alert) -> Option<[u8; 16]> {
    let field = |k: &str| alert.field_str(k).filter(|v| !v.is_empty());
    let key = match (field("k8s.ns.name"), field("k8s.pod.name")) {
        (Some(ns), Some(pod)) => format!("{ns}:{pod}"),
        _ => match field("container.id").filter(|c| *c != "host") {
            Some(container) => container.to_owned(),
            None => field("evt.hostname")?.to_owned(),
        },
    };
    Some(fnv128a(key.as_bytes()))
}

fn nanos(time: &falconer_event::AlertTime) -> u64 {
    u64::try_from(time.timestamp_nanos_opt().unwrap_or_default()).unwrap_or_default()
}

/// The span ID of `alert`: eight bytes of the FNV-128a of its UUID (never all zero), so a
/// retried export sends the same span.
pub fn span_id(alert: &Alert) -> [u8; 8] {
    let hash = fnv128a(alert.uuid.as_bytes());
    let mut id = [0u8; 8];
    id.copy_from_slice(&hash[..8]);
    if id == [0; 8] {
        id[7] = 1;
    }
    id
}

/// The span of `alert` (`None` without a trace), lasting `duration_ms`.
pub fn span(alert: &Alert, duration_ms: u64) -> Option<Span> {
    let trace_id = trace_id(alert)?;
    let start = nanos(&alert.time);
    let mut attributes = vec![
        string("uuid", &alert.uuid),
        string("source", &alert.source),
        string("priority", &alert.priority.to_string()),
        string("rule", &alert.rule),
        string("hostname", &alert.hostname),
        strings("tags", &alert.tags),
    ];
    attributes.extend(
        alert
            .output_fields
            .iter()
            .map(|(k, v): (&String, &Value)| string(k, &go_value(v, "<nil>"))),
    );
    Some(Span {
        trace_id: trace_id.to_vec(),
        span_id: span_id(alert).to_vec(),
        name: alert.rule.clone(),
        kind: span::SpanKind::Server as i32,
        start_time_unix_nano: start,
        end_time_unix_nano: start.saturating_add(duration_ms.saturating_mul(1_000_000)),
        attributes,
        events: vec![span::Event {
            time_unix_nano: start,
            name: alert.output.clone(),
            ..span::Event::default()
        }],
        ..Span::default()
    })
}

/// The export request of `spans`.
pub fn export_request(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(resource()),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: SCOPE.into(),
                    ..InstrumentationScope::default()
                }),
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}

/// True for the sources falcosidekick makes spans of (`syscall`, `syscalls`).
pub fn is_traced_source(source: &str) -> bool {
    matches!(source, "syscall" | "syscalls")
}

/// The spans of a batch, with the positions of the alerts that have no trace. Alerts of other
/// sources than syscalls are left out, as falcosidekick leaves them out.
pub fn spans(batch: &[Arc<Alert>], duration_ms: u64) -> (Vec<Span>, Vec<usize>) {
    let mut spans = Vec::with_capacity(batch.len());
    let mut untraceable = Vec::new();
    for (i, alert) in batch.iter().enumerate() {
        if !is_traced_source(&alert.source) {
            tracing::debug!(source = %alert.source, uuid = %alert.uuid, "OTLP traces: not a syscall alert, no span.");
            continue;
        }
        match span(alert, duration_ms) {
            Some(s) => spans.push(s),
            None => untraceable.push(i),
        }
    }
    (spans, untraceable)
}
