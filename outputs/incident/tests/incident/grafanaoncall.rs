//! Against the recording sink: falcosidekick's request and the classification through the
//! delivery core (429 and 5xx retried, 400 final).

use falconer_http::contract::{assert_classification, deliver, quick, sample};
use falconer_testkit::RecordingSink;
use serde_json::json;

const KIND: falconer_core::OutputKind = falconer_outputs_incident::grafanaoncall::KIND;

fn settings(sink: &RecordingSink) -> serde_json::Value {
    json!({
        "webhookurl": sink.url("/integrations/v1/formatted_webhook/mReAoNwDm0eMwKo1mTeTwYo/?team=sec"),
        "customheaders": {"Authorization": "Bearer oncall-token"},
    })
}

#[tokio::test]
async fn one_alert_is_falcosidekicks_request_byte_for_byte() {
    let sink = RecordingSink::start().await;
    let alerts = [sample(1), sample(2)];
    let got = deliver(&sink, KIND, settings(&sink), quick(1), &alerts).await;
    assert_eq!(got.len(), 2, "one request per alert");
    for (r, alert) in got.iter().zip(&alerts) {
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            (
                "POST",
                "/integrations/v1/formatted_webhook/mReAoNwDm0eMwKo1mTeTwYo/"
            )
        );
        assert_eq!(r.query.as_deref(), Some("team=sec"));
        assert_eq!(r.header("authorization"), Some("Bearer oncall-token"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        let want = falconer_outputs_incident::grafanaoncall::body(alert).expect("encodes");
        assert_eq!(r.body.as_ref(), want.as_slice());
    }
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_bad_request_is_final() {
    let sink = RecordingSink::start().await;
    let reason = r#"{"detail":"Integration is not found"}"#;
    assert_classification(&sink, KIND, settings(&sink), reason).await;
}
