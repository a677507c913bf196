//! Cloud Storage: one media upload per alert under falcosidekick's object name, never
//! replacing an object, classification.

use falconer_http::contract::{assert_classification, deliver, launch, quick, sample, WAIT};
use falconer_outputs_gcp::storage::{object_name, KIND};
use falconer_testkit::{RecordingSink, Reply};
use serde_json::{json, Value};

use crate::{credentials, token_endpoint, TOKEN};

fn settings(api: &RecordingSink, tokens: &RecordingSink) -> Value {
    json!({"bucket": "falco-events", "prefix": "falco", "credentials": credentials(tokens), "endpoint": api.url("")})
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{query}"))
        .expect("a query")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test]
async fn each_alert_is_one_object_with_the_payload_json() {
    let (api, tokens) = (RecordingSink::start().await, token_endpoint().await);
    let alerts = [sample(1), sample(2)];
    let before = chrono::Utc::now();
    let got = deliver(&api, KIND, settings(&api, &tokens), quick(10), &alerts).await;
    assert_eq!(got.len(), 2);
    for (r, alert) in got.iter().zip(&alerts) {
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/upload/storage/v1/b/falco-events/o")
        );
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(r.body, alert.to_json());
        let pairs = query_pairs(r.query.as_deref().unwrap_or_default());
        assert_eq!(pairs[0], ("uploadType".into(), "media".into()));
        assert_eq!(pairs[2], ("ifGenerationMatch".into(), "0".into()));
        let name = &pairs[1].1;
        let day = before.format("%Y-%m-%d").to_string();
        assert!(name.starts_with(&format!("falco/{day}/{day}T")), "{name}");
        assert!(name.ends_with("Z.json"), "{name}");
    }
}

#[test]
fn object_names_are_falcosidekicks() {
    let at = chrono::DateTime::parse_from_rfc3339("2024-05-14T09:21:07.41879Z")
        .unwrap()
        .to_utc();
    assert_eq!(
        object_name("falco", &at),
        "falco/2024-05-14/2024-05-14T09:21:07.41879Z.json"
    );
    assert_eq!(
        object_name("", &at),
        "/2024-05-14/2024-05-14T09:21:07.41879Z.json"
    );
}

#[tokio::test]
async fn an_existing_object_name_is_retried_under_a_new_one() {
    let (api, tokens) = (RecordingSink::start().await, token_endpoint().await);
    api.script([
        Reply::status(412).body("At least one of the pre-conditions you specified did not hold.")
    ]);
    let env = launch(KIND, settings(&api, &tokens), quick(1)).await;
    env.dispatcher.dispatch(sample(1)).await;
    env.dispatcher.shutdown(WAIT).await;
    let got = api.requests();
    assert_eq!(got.len(), 2, "retried");
    assert_ne!(got[0].query, got[1].query, "under a new name");
    assert!(env.dead_letters().is_empty());
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_missing_bucket_is_final() {
    let (api, tokens) = (RecordingSink::start().await, token_endpoint().await);
    assert_classification(
        &api,
        KIND,
        settings(&api, &tokens),
        "The specified bucket does not exist.",
    )
    .await;
}
