//! Chronicle: one `logs:import` request per batch, the exact body, classification.

use base64::Engine as _;
use falconer_http::contract::{deliver, launch, quick, sample, WAIT};
use falconer_outputs_gcp::chronicle::{import_body, KIND};
use falconer_testkit::{RecordingSink, Reply};
use serde_json::{json, Value};

use crate::{credentials, token_endpoint, TOKEN};

fn settings(api: &RecordingSink, tokens: &RecordingSink) -> Value {
    json!({
        "projectid": "falconer-test",
        "instanceid": "0a1b2c3d-instance",
        "region": "eu",
        "credentials": credentials(tokens),
        "endpoint": api.url(""),
    })
}

#[tokio::test]
async fn a_batch_is_one_import_of_base64_payloads() {
    let (api, tokens) = (RecordingSink::start().await, token_endpoint().await);
    let alerts: Vec<_> = (0..3).map(sample).collect();
    let got = deliver(&api, KIND, settings(&api, &tokens), quick(10), &alerts).await;
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        (
            "POST",
            "/v1beta/projects/falconer-test/locations/eu/instances/0a1b2c3d-instance/logTypes/FALCO_IDS/logs:import"
        )
    );
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let logs = r.json()["inlineSource"]["logs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(logs.len(), 3);
    for (log, alert) in logs.iter().zip(&alerts) {
        let data = base64::engine::general_purpose::STANDARD
            .decode(log["data"].as_str().unwrap())
            .unwrap();
        assert_eq!(data, alert.to_json());
        assert_eq!(
            log["logEntryTime"],
            alert
                .time
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
    }
}

#[test]
fn the_body_is_falcosidekicks_import_golden() {
    let now = chrono::DateTime::parse_from_rfc3339("2024-05-14T18:00:00Z")
        .unwrap()
        .to_utc();
    falconer_http::fixtures::assert_golden(
        crate::FIXTURES,
        "gcpchronicle/single.json",
        import_body(&[sample(1)], now),
    );
    // The collection time follows the alert's time when the clock is behind it.
    let early = chrono::DateTime::parse_from_rfc3339("2020-01-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let body: Value = serde_json::from_slice(&import_body(&[sample(1)], early)).unwrap();
    assert_eq!(
        body["inlineSource"]["logs"][0]["collectionTime"],
        "2024-05-14T16:31:57Z"
    );
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_bad_request_is_final() {
    let (api, tokens) = (RecordingSink::start().await, token_endpoint().await);
    api.script([
        Reply::status(429).header("Retry-After", "1"),
        Reply::status(503).body("overloaded"),
        Reply::status(200),
        Reply::status(400).body("invalid log type"),
    ]);
    let env = launch(KIND, settings(&api, &tokens), quick(1)).await;
    env.dispatcher.dispatch(sample(1)).await;
    api.wait_for(3, WAIT).await;
    env.dispatcher.dispatch(sample(2)).await;
    env.dispatcher.shutdown(WAIT).await;
    let got = api.requests();
    assert_eq!(got.len(), 4, "429 and 503 retried, the 400 not");
    assert!(
        got[1].received_at.duration_since(got[0].received_at) >= std::time::Duration::from_secs(1)
    );
    // Each attempt carries its own collection time; the logs are the same.
    let logs = |i: usize| got[i].json()["inlineSource"]["logs"][0]["data"].clone();
    assert_eq!((logs(0), logs(1)), (logs(2), logs(2)));
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0].meta.reason, "rejected");
    assert!(letters[0].meta.error.contains("invalid log type"));
}
