//! Against the recording sink: the request falcosidekick sends (one alert), the NDJSON batch,
//! the shared classification, batch counts through the delivery core, index creation.

use falconer_http::contract::{
    assert_batch_count, assert_classification, deliver, launch, ndjson, quick, sample, WAIT,
};
use falconer_testkit::{RecordingSink, Reply};
use serde_json::json;

const KIND: falconer_core::OutputKind = falconer_outputs_logs::quickwit::KIND;

#[tokio::test]
async fn one_alert_is_falcosidekicks_request_byte_for_byte() {
    let sink = RecordingSink::start().await;
    let settings = json!({
        "hostport": sink.url(""), "index": "falco",
        "customheaders": {"Authorization": "Bearer qw", "Content-Type": "application/x-ndjson"},
    });
    let alert = sample(1);
    let got = deliver(
        &sink,
        KIND,
        settings,
        quick(100),
        std::slice::from_ref(&alert),
    )
    .await;
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/api/v1/falco/ingest")
    );
    assert_eq!(r.query, None);
    assert_eq!(r.header("authorization"), Some("Bearer qw"));
    assert_eq!(
        r.header("content-type"),
        Some("application/x-ndjson"),
        "custom headers override the content type, as in falcosidekick"
    );
    let want = ndjson(std::slice::from_ref(&alert));
    assert_eq!(r.body.as_ref(), want.as_slice());
}

#[tokio::test]
async fn a_batch_is_one_ndjson_request_with_the_default_content_type() {
    let sink = RecordingSink::start().await;
    let alerts: Vec<_> = (0..3).map(sample).collect();
    let got = deliver(
        &sink,
        KIND,
        json!({"hostport": sink.url("")}),
        quick(10),
        &alerts,
    )
    .await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let want = ndjson(&alerts);
    assert_eq!(got[0].body.as_ref(), want.as_slice());
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_bad_request_is_final() {
    let sink = RecordingSink::start().await;
    let reason = r#"{"message":"index `falco` not found"}"#;
    assert_classification(&sink, KIND, json!({"hostport": sink.url("")}), reason).await;
}

#[tokio::test]
async fn a_2xx_answer_with_rejected_documents_makes_dead_letters() {
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(200)
        .body(r#"{"num_docs_for_processing":2,"num_ingested_docs":1,"num_rejected_docs":1}"#)]);
    let env = launch(KIND, json!({"hostport": sink.url("")}), quick(2)).await;
    env.dispatcher.dispatch(sample(1)).await;
    env.dispatcher.dispatch(sample(2)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(sink.requests().len(), 1, "not retried");
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 2);
    assert!(
        letters[0].meta.error.contains("rejected 1 of 2"),
        "{}",
        letters[0].meta.error
    );
}

#[tokio::test]
async fn twenty_five_alerts_in_batches_of_ten_make_three_requests() {
    let sink = RecordingSink::start().await;
    let got = assert_batch_count(&sink, KIND, json!({"hostport": sink.url("")}), 25, 10).await;
    let lines: Vec<usize> = got.iter().map(|r| r.text().lines().count()).collect();
    assert_eq!(lines, [10, 10, 5]);
}

#[tokio::test]
async fn autocreateindex_creates_a_missing_index_and_accepts_an_existing_one() {
    let sink = RecordingSink::start().await;
    sink.script([
        Reply::status(404).body("index not found"),
        Reply::status(400).body("index already exists"),
    ]);
    let settings = json!({"hostport": sink.url(""), "autocreateindex": true, "index": "sec"});
    let env = launch(KIND, settings, quick(10)).await;
    env.dispatcher.shutdown(WAIT).await;
    let got = sink.requests();
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[0].method.as_str(), got[0].path.as_str()),
        ("GET", "/api/v1/indexes/sec/describe")
    );
    assert_eq!(
        (got[1].method.as_str(), got[1].path.as_str()),
        ("POST", "/api/v1/indexes")
    );
    assert_eq!(
        got[1].body.as_ref(),
        falconer_outputs_logs::quickwit::index_config("sec", "0.7").as_slice()
    );

    let sink = RecordingSink::start().await;
    let settings = json!({"hostport": sink.url(""), "autocreateindex": true});
    let env = launch(KIND, settings, quick(10)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(sink.requests().len(), 1, "an existing index is not created");
}
