//! The recipe of `docs/contributing.md` holds for every kind this family registers.

/// Kinds sent as the alert's payload JSON unchanged (message body, function payload, log
/// event, object, record), so with no golden file of their own: their tests compare what
/// was received with the alert's payload bytes. SNS sends the output text and attributes,
/// so it has golden files.
const PAYLOAD_AS_IS: &[&str] = &[
    "sqs",
    "lambda",
    "cloudwatchlogs",
    "s3",
    "kinesis",
    "yandexs3",
    "yandexdatastreams",
];

#[test]
fn every_kind_has_its_features_a_golden_payload_and_a_readme_row() {
    let mut registry = falconer_core::Registry::default();
    falconer_outputs_aws::register(&mut registry);
    falconer_http::recipe::Family {
        dir: env!("CARGO_MANIFEST_DIR"),
        payload_as_is: PAYLOAD_AS_IS,
    }
    .assert_complete(&registry);
}
