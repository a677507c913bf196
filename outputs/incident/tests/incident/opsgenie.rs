//! Against the recording sink: falcosidekick's request, and Opsgenie's answers through the
//! delivery core (429 and 5xx retried, 422 and 400 final).

use falconer_http::contract::{assert_classification, deliver, launch, quick, sample, WAIT};
use falconer_testkit::{RecordingSink, Reply};
use serde_json::json;

const KIND: falconer_core::OutputKind = falconer_outputs_incident::opsgenie::KIND;

fn settings(sink: &RecordingSink) -> serde_json::Value {
    json!({"apikey": "eb243592-faa2-4ba2-a551q-1afdf565c889", "region": "eu", "host": sink.url("")})
}

#[tokio::test]
async fn one_alert_is_falcosidekicks_request_byte_for_byte() {
    let sink = RecordingSink::start().await;
    let alerts = [sample(1), sample(2)];
    let got = deliver(&sink, KIND, settings(&sink), quick(1), &alerts).await;
    assert_eq!(got.len(), 2, "one request per alert");
    for (r, alert) in got.iter().zip(&alerts) {
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v2/alerts"));
        assert_eq!(r.query, None);
        assert_eq!(
            r.header("authorization"),
            Some("GenieKey eb243592-faa2-4ba2-a551q-1afdf565c889")
        );
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        let want = falconer_outputs_incident::opsgenie::body(alert).expect("encodes");
        assert_eq!(r.body.as_ref(), want.as_slice());
    }
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_bad_request_is_final() {
    let sink = RecordingSink::start().await;
    let reason = r#"{"message":"Key format is not valid!","took":0.0,"requestId":"a"}"#;
    assert_classification(&sink, KIND, settings(&sink), reason).await;
}

#[tokio::test]
async fn a_422_is_final_and_dead_lettered_with_opsgenies_reason() {
    let sink = RecordingSink::start().await;
    sink.script([Reply::status(422).body(r#"{"message":"Request body is not processable"}"#)]);
    let env = launch(KIND, settings(&sink), quick(1)).await;
    env.dispatcher.dispatch(sample(1)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(sink.requests().len(), 1, "never retried");
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "rejected");
    assert!(
        letters[0].meta.error.contains("not processable"),
        "{}",
        letters[0].meta.error
    );
}
