//! Against the recording sink: falcosidekick's request for one alert, a batch in one
//! request, record errors in a 200 answer, the classification of answers, the env variables.

use falconer_http::contract::{
    assert_batch_count, assert_classification, assert_one_post, deliver, launch, quick, sample,
    WAIT,
};
use falconer_outputs_logs::kafkarest::{records, KafkaRestConfig, KIND};
use falconer_testkit::{RecordingSink, Reply};
use serde_json::json;

use crate::from_env;

fn settings(sink: &RecordingSink) -> serde_json::Value {
    json!({"address": sink.url("/topics/falco")})
}

#[tokio::test]
async fn one_alert_is_falcosidekicks_request_byte_for_byte() {
    let sink = RecordingSink::start().await;
    let alert = sample(1);
    let got = deliver(
        &sink,
        KIND,
        settings(&sink),
        quick(1),
        std::slice::from_ref(&alert),
    )
    .await;
    let want = records(std::slice::from_ref(&alert)).expect("encodes");
    assert_one_post(
        &got,
        "/topics/falco",
        "application/vnd.kafka.binary.v2+json",
        &want,
    );
}

#[tokio::test]
async fn version_1_sets_the_content_type_and_a_batch_is_one_request() {
    let sink = RecordingSink::start().await;
    let alerts: Vec<_> = (0..3).map(sample).collect();
    let settings = json!({"address": sink.url("/topics/falco"), "version": 1});
    let got = deliver(&sink, KIND, settings, quick(10), &alerts).await;
    let want = records(&alerts).expect("encodes");
    assert_one_post(
        &got,
        "/topics/falco",
        "application/vnd.kafka.binary.v1+json",
        &want,
    );
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_bad_request_is_final() {
    let sink = RecordingSink::start().await;
    let reason = r#"{"error_code":40403,"message":"Topic not found."}"#;
    assert_classification(&sink, KIND, settings(&sink), reason).await;
}

#[tokio::test]
async fn a_record_error_in_a_200_answer_fails_that_alert_only() {
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(200).body(
        r#"{"offsets":[{"partition":0,"offset":7,"error_code":null,"error":null},{"partition":null,"offset":null,"error_code":1,"error":"Record too large"}]}"#,
    )]);
    let env = launch(KIND, settings(&sink), quick(2)).await;
    env.dispatcher.dispatch(sample(1)).await;
    env.dispatcher.dispatch(sample(2)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(
        sink.requests().len(),
        1,
        "a non-retriable record error is final"
    );
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(letters[0].meta.error.contains("Record too large"));
    assert_eq!(letters[0].meta.reason, "rejected");
}

#[tokio::test]
async fn twenty_five_alerts_in_batches_of_ten_make_three_requests() {
    let sink = RecordingSink::start().await;
    let got = assert_batch_count(&sink, KIND, settings(&sink), 25, 10).await;
    let sizes: Vec<usize> = got
        .iter()
        .map(|r| r.json()["records"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [10, 10, 5]);
}

#[test]
fn env_variables_configure_the_block() {
    let settings = from_env(
        KIND,
        &[
            ("KAFKAREST_ADDRESS", "http://proxy:8082/topics/falco"),
            ("KAFKAREST_VERSION", "1"),
        ],
    );
    let c: KafkaRestConfig = falconer_config::from_value(settings).expect("reads");
    assert_eq!(c.version, 1);
}
