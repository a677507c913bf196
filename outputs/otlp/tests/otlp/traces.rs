//! OTLP traces: one export per batch with falcosidekick's spans, non-syscall alerts left
//! out, an alert without a trace refused alone, classification, config and env.

use falconer_http::contract::{deliver, launch, quick, sample, WAIT};
use falconer_outputs_otlp::traces::{export_request, fnv128a, span, span_id, KIND};
use falconer_testkit::{enriched, RecordingSink};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use serde_json::json;

use crate::{attributes, from_env, FIXTURES};

#[test]
fn fnv128a_is_gos() {
    assert_eq!(
        fnv128a(b""),
        0x6c62_272e_07bb_0142_62b8_2175_6295_c58d_u128.to_be_bytes()
    );
    assert_eq!(
        fnv128a(b"a"),
        0xd228_cb69_6f1a_8caf_7891_2b70_4e4a_8964_u128.to_be_bytes()
    );
}

#[tokio::test]
async fn a_batch_is_one_export_of_falcosidekicks_spans() {
    let sink = RecordingSink::start().await;
    let settings =
        json!({"endpoint": sink.url("/v1/traces"), "headers": "x-api-key=abc123, x-team=secops"});
    // 1 and 3: syscall alerts; 2: a k8s_audit alert, which gets no span.
    let alerts = [sample(1), sample(2), sample(3)];
    let got = deliver(&sink, KIND, settings, quick(10), &alerts).await;
    assert_eq!(got.len(), 1, "one export");
    let r = &got[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/traces"));
    assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
    assert_eq!(r.header("x-api-key"), Some("abc123"));
    assert_eq!(r.header("x-team"), Some("secops"));
    let request = ExportTraceServiceRequest::decode(r.body.as_ref()).expect("OTLP protobuf");
    let rs = &request.resource_spans[0];
    assert_eq!(
        attributes(&rs.resource.as_ref().unwrap().attributes),
        [
            ("service.name".into(), "falco".into()),
            ("service.version".into(), "v0.1.0".into())
        ]
    );
    let scope = &rs.scope_spans[0];
    assert_eq!(scope.scope.as_ref().unwrap().name, "falco-event");
    assert_eq!(scope.spans.len(), 2);
    let s = &scope.spans[0];
    let a = &alerts[0];
    assert_eq!(s.trace_id, fnv128a(b"default:web-7d9c"), "the pod's trace");
    assert_eq!(s.span_id, span_id(a));
    assert!(s.parent_span_id.is_empty());
    assert_eq!(s.name, "Terminal shell in container");
    assert_eq!(s.kind, 2, "SERVER");
    assert_eq!(s.start_time_unix_nano, 1_715_704_316_746_609_046);
    assert_eq!(s.end_time_unix_nano - s.start_time_unix_nano, 1_000_000_000);
    assert_eq!(
        attributes(&s.attributes),
        [
            ("uuid", "00000000-0000-0000-0000-000000000001"),
            ("source", "syscalls"),
            ("priority", "Notice"),
            ("rule", "Terminal shell in container"),
            ("hostname", "node-1"),
            ("tags", "[container, mitre_execution, shell]"),
            ("container.id", "5f3c1b2a9d8e"),
            ("evt.time", "1715704316746609046"),
            ("k8s.ns.name", "default"),
            ("k8s.pod.name", "web-7d9c"),
            ("n_drops", "12345678901234567890"),
            ("proc.cmdline", "bash"),
            ("ratio", "1.50"),
            ("user.name", "root"),
            ("user.uid", "<nil>"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    assert_eq!(s.events.len(), 1);
    assert_eq!(s.events[0].name, a.output);
    assert_eq!(s.events[0].time_unix_nano, s.start_time_unix_nano);
    assert_eq!(scope.spans[1].span_id, span_id(&alerts[2]));
}

#[test]
fn the_export_is_golden() {
    let request = export_request(vec![span(&sample(1), 250).expect("a trace")]);
    falconer_http::fixtures::assert_golden(
        FIXTURES,
        "otlptraces/single.txt",
        format!("{request:#?}\n"),
    );
}

#[test]
fn the_trace_falls_back_to_the_container_then_the_host() {
    let alert = |fields: serde_json::Value| {
        enriched(
            &json!({"output": "x", "priority": "Notice", "rule": "r", "time": "2024-05-14T10:00:00Z", "output_fields": fields}).to_string(),
            1,
        )
    };
    let t = |a: std::sync::Arc<falconer_core::Alert>| falconer_outputs_otlp::traces::trace_id(&a);
    assert_eq!(
        t(alert(json!({"container.id": "abc", "evt.hostname": "h"}))),
        Some(fnv128a(b"abc"))
    );
    assert_eq!(
        t(alert(json!({"container.id": "host", "evt.hostname": "h"}))),
        Some(fnv128a(b"h"))
    );
    assert_eq!(
        t(alert(json!({"k8s.ns.name": "ns", "container.id": "abc"}))),
        Some(fnv128a(b"abc"))
    );
    assert_eq!(t(alert(json!({"proc.name": "bash"}))), None);
}

#[tokio::test]
async fn an_alert_without_a_trace_is_dead_lettered_alone() {
    let sink = RecordingSink::start().await;
    let orphan = enriched(
        &json!({"output": "x", "priority": "Notice", "rule": "r", "time": "2024-05-14T10:00:00Z", "source": "syscalls", "output_fields": {"proc.name": "bash"}}).to_string(),
        7,
    );
    let env = launch(KIND, json!({"endpoint": sink.url("/v1/traces")}), quick(10)).await;
    env.dispatcher.dispatch(sample(1)).await;
    env.dispatcher.dispatch(orphan).await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(
        letters[0].meta.error.contains("trace ID"),
        "{}",
        letters[0].meta.error
    );
    let exported: usize = sink
        .requests()
        .iter()
        .map(|r| {
            ExportTraceServiceRequest::decode(r.body.as_ref())
                .unwrap()
                .resource_spans[0]
                .scope_spans[0]
                .spans
                .len()
        })
        .sum();
    assert_eq!(exported, 1, "the traced alert is delivered");
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_bad_request_is_final() {
    crate::assert_retries_then_final(KIND, "/v1/traces").await;
}

#[test]
fn grpc_and_bad_headers_are_refused_with_what_to_do() {
    let text = falconer_http::contract::assert_rejected(
        KIND,
        "otlp.traces",
        json!({"endpoint": "http://collector:4317", "protocol": "grpc", "headers": "novalue"}),
        &["protocol", "headers"],
    );
    assert!(text.contains("http://collector:4318/v1/traces"), "{text}");
}

#[test]
fn env_variables_configure_the_block() {
    let settings = from_env(
        KIND,
        &[
            ("OTLP_TRACES_ENDPOINT", "http://collector:4318/v1/traces"),
            ("OTLP_TRACES_HEADERS", "api-key=k"),
            ("OTLP_TRACES_DURATION", "250"),
            ("OTLP_TRACES_SYNCED", "true"),
        ],
    );
    let c: falconer_outputs_otlp::traces::TracesConfig =
        falconer_config::from_value(settings).expect("reads");
    assert_eq!(
        (c.duration, c.synced, c.headers.as_str()),
        (250, true, "api-key=k")
    );
}
