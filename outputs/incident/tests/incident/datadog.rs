//! Against the recording sink: falcosidekick's request and the classification through the
//! delivery core (429 and 5xx retried, 400 final).

use falconer_http::contract::{assert_classification, deliver, quick, sample};
use falconer_testkit::RecordingSink;
use serde_json::json;

const KIND: falconer_core::OutputKind = falconer_outputs_incident::datadog::KIND;

fn settings(sink: &RecordingSink) -> serde_json::Value {
    json!({"apikey": "0123456789abcdef0123456789abcdef", "host": sink.url("/")})
}

#[tokio::test]
async fn one_alert_is_falcosidekicks_request_byte_for_byte() {
    let sink = RecordingSink::start().await;
    let alerts = [sample(1), sample(2)];
    let got = deliver(&sink, KIND, settings(&sink), quick(1), &alerts).await;
    assert_eq!(got.len(), 2, "one event per alert");
    for (r, alert) in got.iter().zip(&alerts) {
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/api/v1/events")
        );
        assert_eq!(
            r.query.as_deref(),
            Some("api_key=0123456789abcdef0123456789abcdef")
        );
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        let want = falconer_outputs_incident::datadog::body(alert).expect("encodes");
        assert_eq!(r.body.as_ref(), want.as_slice());
    }
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_bad_request_is_final() {
    let sink = RecordingSink::start().await;
    let reason = r#"{"errors":["Event title is required"]}"#;
    assert_classification(&sink, KIND, settings(&sink), reason).await;
}
