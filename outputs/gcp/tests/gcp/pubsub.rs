//! Pub/Sub: the token exchange, one publish request per batch with the exact body, the
//! classification, a refused token renewed, the env variables.

use std::collections::BTreeMap;

use falconer_http::contract::{assert_classification, deliver, launch, quick, sample, WAIT};
use falconer_outputs_gcp::pubsub::{publish_body, KIND};
use falconer_testkit::{RecordingSink, Reply};
use serde_json::{json, Value};

use crate::{assert_token_exchange, credentials, from_env, token_endpoint, TOKEN};

fn settings(api: &RecordingSink, tokens: &RecordingSink) -> Value {
    json!({
        "projectid": "falconer-test",
        "topic": "falco-alerts",
        "customattributes": {"env": "prod", "team": "secops"},
        "credentials": credentials(tokens),
        "endpoint": api.url(""),
    })
}

#[tokio::test]
async fn a_batch_is_one_publish_request_with_a_bearer_token() {
    let (api, tokens) = (RecordingSink::start().await, token_endpoint().await);
    api.fallback(Reply::status(200).body(r#"{"messageIds":["1","2","3"]}"#));
    let alerts: Vec<_> = (0..3).map(sample).collect();
    let got = deliver(&api, KIND, settings(&api, &tokens), quick(10), &alerts).await;
    assert_eq!(got.len(), 1, "one request");
    let r = &got[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        (
            "POST",
            "/v1/projects/falconer-test/topics/falco-alerts:publish"
        )
    );
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let attributes: BTreeMap<String, String> = [("env", "prod"), ("team", "secops")]
        .map(|(k, v)| (k.into(), v.into()))
        .into();
    assert_eq!(r.body, publish_body(&alerts, &attributes));
    let body = r.json();
    assert_eq!(body["messages"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        body["messages"][0]["attributes"],
        json!({"env": "prod", "team": "secops"})
    );
    let tokens_got = tokens.requests();
    assert_eq!(tokens_got.len(), 1);
    assert_token_exchange(&tokens_got[0], &tokens);
}

#[test]
fn the_body_is_falcosidekicks_message_golden() {
    let attributes: BTreeMap<String, String> = [("env".to_owned(), "prod".to_owned())].into();
    let body = publish_body(&[sample(1)], &attributes);
    falconer_http::fixtures::assert_golden(crate::FIXTURES, "gcppubsub/single.json", body);
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_missing_topic_is_final() {
    let (api, tokens) = (RecordingSink::start().await, token_endpoint().await);
    let settings = settings(&api, &tokens);
    assert_classification(
        &api,
        KIND,
        settings,
        r#"{"error":{"code":404,"message":"Resource not found"}}"#,
    )
    .await;
    assert_eq!(tokens.requests().len(), 1, "the token is reused");
}

#[tokio::test]
async fn a_refused_token_is_renewed_and_the_alert_delivered() {
    let (api, tokens) = (RecordingSink::start().await, token_endpoint().await);
    api.script([Reply::status(401).body("Request had invalid authentication credentials.")]);
    api.fallback(Reply::status(200).body(r#"{"messageIds":["1"]}"#));
    let env = launch(KIND, settings(&api, &tokens), quick(1)).await;
    env.dispatcher.dispatch(sample(1)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(api.requests().len(), 2, "retried after the 401");
    assert_eq!(tokens.requests().len(), 2, "a new token for the retry");
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());
}

#[tokio::test]
async fn refused_credentials_are_final_with_googles_reason() {
    let api = RecordingSink::start().await;
    let tokens = RecordingSink::start().await;
    tokens.fallback(
        Reply::status(400)
            .body(r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#),
    );
    let env = launch(KIND, settings(&api, &tokens), quick(1)).await;
    env.dispatcher.dispatch(sample(1)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert!(
        api.requests().is_empty(),
        "nothing published without a token"
    );
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(
        letters[0].meta.error.contains("Invalid JWT Signature"),
        "{}",
        letters[0].meta.error
    );
}

#[test]
fn env_variables_configure_the_block_with_the_parent_credentials() {
    let tokens_url = "https://oauth2.example/token";
    let key = json!({
        "private_key": crate::fixture("test-service-account.pem"),
        "client_email": "a@b.iam.gserviceaccount.com",
        "token_uri": tokens_url,
    });
    let encoded =
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, key.to_string());
    let settings = from_env(
        KIND,
        &[
            ("GCP_CREDENTIALS", encoded.as_str()),
            ("GCP_PUBSUB_PROJECTID", "p1"),
            ("GCP_PUBSUB_TOPIC", "t1"),
            ("GCP_PUBSUB_CUSTOMATTRIBUTES", "env:prod,team:secops"),
        ],
    );
    let c: falconer_outputs_gcp::pubsub::PubSubConfig =
        falconer_config::from_value(settings).expect("reads");
    assert_eq!((c.projectid.as_str(), c.topic.as_str()), ("p1", "t1"));
    assert_eq!(
        c.customattributes.get("team").map(String::as_str),
        Some("secops")
    );
    assert_eq!(
        c.credentials.expose(),
        encoded,
        "gcp.credentials is inherited"
    );
}
