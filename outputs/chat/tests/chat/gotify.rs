//! Against the recording sink, through the real delivery core: the exact request
//! (`/message`, `X-Gotify-Key`), the classification of the answers, the env variables.

use crate::{encoded_body, from_env};
use falconer_http::contract::{assert_classification, assert_one_post, deliver, quick, sample};
use falconer_outputs_chat::gotify::{GotifyConfig, GotifyFormat, KIND};
use falconer_testkit::RecordingSink;
use serde_json::{json, Value};

fn settings(sink: &RecordingSink) -> Value {
    json!({"hostport": sink.url(""), "token": "AQGn2Z.8L1YkmM", "format": "markdown"})
}

#[tokio::test]
async fn one_alert_is_one_post_of_falcosidekicks_body() {
    let sink = RecordingSink::start().await;
    let got = deliver(&sink, KIND, settings(&sink), quick(1), &[sample(1)]).await;
    let config: GotifyConfig = serde_json::from_value(settings(&sink)).expect("config");
    let want = encoded_body(&config.encoder(), &sample(1));
    let r = assert_one_post(&got, "/message", "application/json; charset=utf-8", &want);
    assert_eq!(r.header("x-gotify-key"), Some("AQGn2Z.8L1YkmM"));
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_and_a_400_is_final() {
    let sink = RecordingSink::start().await;
    let reason = r#"{"error":"Bad Request","errorCode":400,"errorDescription":"Field 'message' is required"}"#;
    assert_classification(&sink, KIND, settings(&sink), reason).await;
}

#[test]
fn env_variables_configure_the_block() {
    let settings = from_env(
        KIND,
        &[
            ("GOTIFY_HOSTPORT", "https://gotify.example.com"),
            ("GOTIFY_TOKEN", "AQGn2Z.8L1YkmM"),
            ("GOTIFY_FORMAT", "json"),
            ("GOTIFY_CHECKCERT", "false"),
        ],
    );
    let c: GotifyConfig = falconer_config::from_value(settings).expect("reads");
    assert_eq!(
        c.url().expect("URL").as_str(),
        "https://gotify.example.com/message"
    );
    assert_eq!(c.format.get(), GotifyFormat::Json);
    assert!(!c.tls.checkcert);
}
