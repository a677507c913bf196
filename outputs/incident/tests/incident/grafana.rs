//! Against the recording sink: falcosidekick's request (Bearer token, custom headers) and the
//! classification through the delivery core (429 and 5xx retried, 400 final).

use falconer_http::contract::{assert_classification, deliver, quick, sample};
use falconer_testkit::RecordingSink;
use serde_json::json;

const KIND: falconer_core::OutputKind = falconer_outputs_incident::grafana::KIND;

fn settings(sink: &RecordingSink) -> serde_json::Value {
    json!({
        "hostport": sink.url("/"),
        "apikey": "glsa_0123456789",
        "dashboardid": 7,
        "panelid": 2,
        "customheaders": {"X-Grafana-Org-Id": "3"},
    })
}

#[tokio::test]
async fn one_alert_is_falcosidekicks_request_byte_for_byte() {
    let sink = RecordingSink::start().await;
    let alerts = [sample(1), sample(2)];
    let got = deliver(&sink, KIND, settings(&sink), quick(1), &alerts).await;
    assert_eq!(got.len(), 2, "one annotation per alert");
    for (r, alert) in got.iter().zip(&alerts) {
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/api/annotations")
        );
        assert_eq!(r.query, None);
        assert_eq!(r.header("authorization"), Some("Bearer glsa_0123456789"));
        assert_eq!(r.header("x-grafana-org-id"), Some("3"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        let want = falconer_outputs_incident::grafana::body(alert, 7, 2, false).expect("encodes");
        assert_eq!(r.body.as_ref(), want.as_slice());
    }
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_bad_request_is_final() {
    let sink = RecordingSink::start().await;
    let reason = r#"{"message":"bad request data"}"#;
    assert_classification(&sink, KIND, settings(&sink), reason).await;
}
