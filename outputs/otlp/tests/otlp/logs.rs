//! OTLP logs: one export per batch with falcosidekick's records, classification, env.

use falconer_http::contract::{deliver, quick, sample};
use falconer_outputs_otlp::logs::{export_request, go_time_string, log_record, KIND};
use falconer_testkit::RecordingSink;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use prost::Message;
use serde_json::json;

use crate::{attributes, from_env, FIXTURES};

#[tokio::test]
async fn a_batch_is_one_export_of_falcosidekicks_records() {
    let sink = RecordingSink::start().await;
    let alerts = [sample(1), sample(2)];
    let got = deliver(
        &sink,
        KIND,
        json!({"endpoint": sink.url("/v1/logs")}),
        quick(10),
        &alerts,
    )
    .await;
    assert_eq!(got.len(), 1, "one export");
    let r = &got[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/logs"));
    assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
    let request = ExportLogsServiceRequest::decode(r.body.as_ref()).expect("OTLP protobuf");
    let scope = &request.resource_logs[0].scope_logs[0];
    assert_eq!(scope.scope.as_ref().unwrap().name, "falco");
    assert_eq!(scope.log_records.len(), 2);
    let record = &scope.log_records[1];
    let a = &alerts[1];
    assert_eq!(
        (record.severity_number, record.severity_text.as_str()),
        (9, "INFO")
    );
    assert_eq!(
        record.body.as_ref().and_then(|b| b.value.clone()),
        Some(Value::StringValue(a.output.clone()))
    );
    assert_eq!(record.time_unix_nano, 1_715_678_467_418_790_000);
    assert!(record.observed_time_unix_nano > record.time_unix_nano);
    assert_eq!(
        attributes(&record.attributes),
        [
            ("priority", "Warning"),
            ("source", "k8s_audit"),
            ("rule", "Create/Modify Configmap With Private Credentials"),
            ("hostname", "minikube"),
            ("tags", "k8s"),
            ("timestamp", "2024-05-14 09:21:07.41879 +0000 UTC"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
}

#[test]
fn the_export_is_golden() {
    let request = export_request(vec![log_record(&sample(1), 1_800_000_000_000_000_000)]);
    falconer_http::fixtures::assert_golden(
        FIXTURES,
        "otlplogs/single.txt",
        format!("{request:#?}\n"),
    );
}

#[test]
fn times_print_as_go_prints_them() {
    let t = |s: &str| go_time_string(&falconer_event::parse_time(s).expect("a time"));
    assert_eq!(
        t("2024-05-14T09:21:07.418790000Z"),
        "2024-05-14 09:21:07.41879 +0000 UTC"
    );
    assert_eq!(t("2024-05-14T09:21:07Z"), "2024-05-14 09:21:07 +0000 UTC");
    assert_eq!(
        t("2024-05-14T11:21:07.5+02:00"),
        "2024-05-14 11:21:07.5 +0200 +0200"
    );
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_bad_request_is_final() {
    crate::assert_retries_then_final(KIND, "/v1/logs").await;
}

#[test]
fn env_variables_configure_the_block() {
    let settings = from_env(
        KIND,
        &[
            ("OTLP_LOGS_ENDPOINT", "http://collector:4318/v1/logs"),
            ("OTLP_LOGS_TIMEOUT", "3000"),
            ("OTLP_LOGS_CHECKCERT", "false"),
        ],
    );
    let c: falconer_outputs_otlp::logs::LogsConfig =
        falconer_config::from_value(settings).expect("reads");
    assert_eq!((c.timeout, c.checkcert), (3000, false));
}
