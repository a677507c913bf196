//! Cloud Functions: one `call` per alert with the payload JSON as `data`, a function error
//! retried then dead-lettered, classification.

use falconer_http::contract::{assert_classification, deliver, launch, quick, sample, WAIT};
use falconer_outputs_gcp::cloudfunctions::{call_body, KIND};
use falconer_testkit::{RecordingSink, Reply};
use serde_json::{json, Value};

use crate::{credentials, token_endpoint, TOKEN};

const NAME: &str = "projects/falconer-test/locations/europe-west1/functions/falco-handler";

fn settings(api: &RecordingSink, tokens: &RecordingSink) -> Value {
    json!({"name": NAME, "credentials": credentials(tokens), "endpoint": api.url("")})
}

#[tokio::test]
async fn each_alert_is_one_call_with_the_payload_as_data() {
    let (api, tokens) = (RecordingSink::start().await, token_endpoint().await);
    api.fallback(Reply::status(200).body(r#"{"executionId":"abc123","result":"ok"}"#));
    let alerts = [sample(1), sample(2)];
    let got = deliver(&api, KIND, settings(&api, &tokens), quick(10), &alerts).await;
    assert_eq!(got.len(), 2);
    for (r, alert) in got.iter().zip(&alerts) {
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", format!("/v1/{NAME}:call").as_str())
        );
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(r.body, call_body(alert));
        assert_eq!(
            r.json()["data"].as_str().map(str::as_bytes),
            Some(alert.to_json())
        );
    }
    assert_eq!(tokens.requests().len(), 1);
}

#[test]
fn the_body_is_falcosidekicks_call_golden() {
    falconer_http::fixtures::assert_golden(
        crate::FIXTURES,
        "gcpcloudfunctions/single.json",
        call_body(&sample(1)),
    );
}

#[tokio::test]
async fn an_error_of_the_function_is_retried_then_dead_lettered() {
    let (api, tokens) = (RecordingSink::start().await, token_endpoint().await);
    api.fallback(Reply::status(200).body(r#"{"executionId":"x","error":"TypeError: boom"}"#));
    let mut common = quick(1);
    common.retry.maxattempts = Some(2);
    let env = launch(KIND, settings(&api, &tokens), common).await;
    env.dispatcher.dispatch(sample(1)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(api.requests().len(), 2, "retried");
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(
        letters[0].meta.error.contains("TypeError: boom"),
        "{}",
        letters[0].meta.error
    );
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_bad_request_is_final() {
    let (api, tokens) = (RecordingSink::start().await, token_endpoint().await);
    assert_classification(&api, KIND, settings(&api, &tokens), "Function not found").await;
}

#[test]
fn a_name_that_is_not_a_full_resource_name_is_refused() {
    let text = falconer_http::contract::assert_rejected(
        KIND,
        "gcp.cloudfunctions",
        json!({"name": "falco-handler"}),
        &["name"],
    );
    assert!(
        text.contains("projects/<project>/locations/<region>/functions/<name>"),
        "{text}"
    );
}
