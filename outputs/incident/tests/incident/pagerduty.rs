//! Against the recording sink: the Events API request, and PagerDuty's answers through the
//! delivery core (429 and 5xx retried, 400 final).

use falconer_http::contract::{assert_classification, deliver, quick, sample};
use falconer_testkit::RecordingSink;
use serde_json::json;

const KIND: falconer_core::OutputKind = falconer_outputs_incident::pagerduty::KIND;

fn settings(sink: &RecordingSink) -> serde_json::Value {
    json!({
        "routingkey": "e93facc04764012d7bfb002500d5d1a6",
        "region": "eu",
        "host": sink.url(""),
        "dedupkey": "{{ .Rule }}@{{ .Hostname }}",
    })
}

#[tokio::test]
async fn one_event_per_alert_with_the_exact_body() {
    let sink = RecordingSink::start().await;
    let alerts = [sample(1), sample(2)];
    let got = deliver(&sink, KIND, settings(&sink), quick(1), &alerts).await;
    assert_eq!(got.len(), 2);
    let config: falconer_outputs_incident::pagerduty::PagerDutyConfig =
        falconer_config::from_value(settings(&sink)).expect("config");
    let encoder = config.encoder().expect("encoder");
    for (r, alert) in got.iter().zip(&alerts) {
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/v2/enqueue")
        );
        assert_eq!(r.query, None);
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(
            r.header("authorization"),
            None,
            "the routing key is in the body"
        );
        let want = encoder.body(alert).expect("encodes");
        assert_eq!(r.body.as_ref(), want.as_slice());
        assert_eq!(r.json()["routing_key"], "e93facc04764012d7bfb002500d5d1a6");
    }
    assert_eq!(
        got[0].json()["dedup_key"],
        "Terminal shell in container@node-1"
    );
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_an_invalid_event_is_final() {
    let sink = RecordingSink::start().await;
    let reason = r#"{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters)"]}"#;
    assert_classification(&sink, KIND, settings(&sink), reason).await;
}
