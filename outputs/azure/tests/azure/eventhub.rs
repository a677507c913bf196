//! Event Hubs: the token exchange, one event alone and a batch, classification, token
//! renewal, the credential chain, env variables.

use std::collections::HashMap;
use std::sync::Arc;

use falconer_http::contract::{assert_classification, deliver, launch, quick, sample, WAIT};
use falconer_outputs_azure::common::{AzureAuth, Credential};
use falconer_outputs_azure::eventhub::{batch_body, BATCH_CONTENT_TYPE, KIND, SINGLE_CONTENT_TYPE};
use falconer_testkit::{RecordingSink, Reply};
use serde_json::{json, Value};

const TOKEN: &str = "eyJ0eXAi.test-entra-token";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

async fn token_endpoint(expires_in: Value) -> RecordingSink {
    let sink = RecordingSink::start().await;
    sink.fallback(
        Reply::status(200).body(
            &json!({"token_type": "Bearer", "expires_in": expires_in, "access_token": TOKEN})
                .to_string(),
        ),
    );
    sink
}

fn settings(api: &RecordingSink, tokens: &RecordingSink) -> Value {
    json!({
        "namespace": "falco",
        "name": "falco-hub",
        "tenantid": "tenant-1",
        "clientid": "client-1",
        "clientsecret": "s3cr/et+",
        "authorityhost": tokens.url(""),
        "endpoint": api.url(""),
    })
}

#[tokio::test]
async fn one_alert_is_one_event_with_an_entra_token() {
    let (api, tokens) = (
        RecordingSink::start().await,
        token_endpoint(json!(3599)).await,
    );
    let alert = sample(1);
    let got = deliver(
        &api,
        KIND,
        settings(&api, &tokens),
        quick(1),
        std::slice::from_ref(&alert),
    )
    .await;
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/falco-hub/messages")
    );
    assert_eq!(r.query.as_deref(), Some("api-version=2014-01&timeout=60"));
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(r.header("content-type"), Some(SINGLE_CONTENT_TYPE));
    assert_eq!(r.body, alert.to_json());
    let t = tokens.requests();
    assert_eq!(t.len(), 1);
    assert_eq!(
        (t[0].method.as_str(), t[0].path.as_str()),
        ("POST", "/tenant-1/oauth2/v2.0/token")
    );
    assert_eq!(
        t[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        t[0].text(),
        "grant_type=client_credentials&client_id=client-1&client_secret=s3cr%2Fet%2B&scope=https%3A%2F%2Feventhubs.azure.net%2F.default"
    );
}

#[tokio::test]
async fn a_batch_is_one_request_of_events() {
    let (api, tokens) = (
        RecordingSink::start().await,
        token_endpoint(json!(3599)).await,
    );
    let alerts: Vec<_> = (0..3).map(sample).collect();
    let got = deliver(&api, KIND, settings(&api, &tokens), quick(10), &alerts).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("content-type"), Some(BATCH_CONTENT_TYPE));
    assert_eq!(got[0].body, batch_body(&alerts));
    let events = got[0].json();
    for (event, alert) in events.as_array().expect("test setup").iter().zip(&alerts) {
        assert_eq!(
            event["Body"].as_str().map(str::as_bytes),
            Some(alert.to_json())
        );
    }
    assert_eq!(tokens.requests().len(), 1, "one token for the batch");
    falconer_http::fixtures::assert_golden(
        FIXTURES,
        "azureeventhub/batch.json",
        batch_body(&alerts[..2]),
    );
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_bad_request_is_final() {
    let (api, tokens) = (
        RecordingSink::start().await,
        token_endpoint(json!(3599)).await,
    );
    assert_classification(
        &api,
        KIND,
        settings(&api, &tokens),
        "The messaging entity could not be found",
    )
    .await;
}

#[tokio::test]
async fn a_refused_token_is_renewed_and_the_alert_delivered() {
    let (api, tokens) = (
        RecordingSink::start().await,
        token_endpoint(json!(3599)).await,
    );
    api.script([Reply::status(401).body("ExpiredToken")]);
    let env = launch(KIND, settings(&api, &tokens), quick(1)).await;
    env.dispatcher.dispatch(sample(1)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(api.requests().len(), 2);
    assert_eq!(tokens.requests().len(), 2);
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());
}

#[tokio::test]
async fn refused_credentials_are_final_with_entras_reason() {
    let api = RecordingSink::start().await;
    let tokens = RecordingSink::start().await;
    tokens.fallback(Reply::status(401).body(r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#));
    let env = launch(KIND, settings(&api, &tokens), quick(1)).await;
    env.dispatcher.dispatch(sample(1)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert!(api.requests().is_empty());
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(
        letters[0].meta.error.contains("AADSTS7000215"),
        "{}",
        letters[0].meta.error
    );
}

fn cx() -> falconer_core::BuildContext {
    falconer_core::BuildContext {
        name: "azureeventhub".into(),
        path: "azure.eventhub".into(),
        global: Arc::new(falconer_config::GlobalSettings::default()),
        resources: falconer_core::Resources::default(),
    }
}

#[tokio::test]
async fn a_managed_identity_asks_the_metadata_service() {
    let imds = token_endpoint(json!("3599")).await;
    let credential = Credential::ManagedIdentity {
        client: Some("mi-client".into()),
    };
    let auth = AzureAuth::new(
        &cx(),
        credential,
        "https://eventhubs.azure.net",
        "https://unused",
        &imds.url("/metadata/identity/oauth2/token"),
    )
    .expect("builds");
    for _ in 0..2 {
        let h = auth.headers().await.expect("a token");
        assert_eq!(
            h.get("authorization").and_then(|v| v.to_str().ok()),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    let got = imds.requests();
    assert_eq!(got.len(), 1, "cached");
    assert_eq!(
        (got[0].method.as_str(), got[0].path.as_str()),
        ("GET", "/metadata/identity/oauth2/token")
    );
    assert_eq!(
        got[0].query.as_deref(),
        Some(
            "api-version=2018-02-01&resource=https%3A%2F%2Feventhubs.azure.net&client_id=mi-client"
        )
    );
    assert_eq!(got[0].header("metadata"), Some("true"));
}

#[tokio::test]
async fn workload_identity_sends_the_federated_token() {
    let tokens = token_endpoint(json!(3599)).await;
    let dir = tempfile_dir();
    let file = dir.join("azure-identity-token");
    std::fs::write(&file, "eyJfederated.token\n").expect("test setup");
    let credential = Credential::WorkloadIdentity {
        tenant: "t1".into(),
        client: "c1".into(),
        token_file: file.display().to_string(),
    };
    let auth = AzureAuth::new(
        &cx(),
        credential,
        "https://eventhubs.azure.net",
        &tokens.url(""),
        "http://unused",
    )
    .expect("builds");
    auth.headers().await.expect("a token");
    let got = tokens.requests();
    assert_eq!(got[0].path, "/t1/oauth2/v2.0/token");
    assert_eq!(
        got[0].text(),
        "grant_type=client_credentials&client_id=c1&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=eyJfederated.token&scope=https%3A%2F%2Feventhubs.azure.net%2F.default"
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("falconer-azure-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("test setup");
    dir
}

#[test]
fn the_credential_is_picked_as_the_azure_sdk_picks_it() {
    let env = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    assert_eq!(
        Credential::from_env(
            &env(&[
                ("AZURE_TENANT_ID", "t"),
                ("AZURE_CLIENT_ID", "c"),
                ("AZURE_CLIENT_SECRET", "s")
            ]),
            ""
        ),
        Credential::ClientSecret {
            tenant: "t".into(),
            client: "c".into(),
            secret: "s".into()
        }
    );
    assert_eq!(
        Credential::from_env(
            &env(&[
                ("AZURE_TENANT_ID", "t"),
                ("AZURE_CLIENT_ID", "c"),
                ("AZURE_FEDERATED_TOKEN_FILE", "/f")
            ]),
            ""
        ),
        Credential::WorkloadIdentity {
            tenant: "t".into(),
            client: "c".into(),
            token_file: "/f".into()
        }
    );
    assert_eq!(
        Credential::from_env(&env(&[]), "pod-identity"),
        Credential::ManagedIdentity {
            client: Some("pod-identity".into())
        }
    );
    assert_eq!(
        Credential::from_env(&env(&[("AZURE_CLIENT_ID", "c")]), "pod-identity"),
        Credential::ManagedIdentity {
            client: Some("c".into())
        }
    );
    assert_eq!(
        Credential::from_env(&env(&[]), ""),
        Credential::ManagedIdentity { client: None }
    );
}

#[test]
fn env_variables_configure_the_block_with_the_parent_keys() {
    let sources = falconer_config::Sources {
        yaml: None,
        env: [
            ("AZURE_EVENTHUB_NAMESPACE", "falco.servicebus.windows.net"),
            ("AZURE_EVENTHUB_NAME", "falco-hub"),
            ("AZURE_PODIDENTITYCLIENTID", "pod-client"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect(),
    };
    let config = falconer_config::load(&sources, &[KIND.schema()]).expect("loads");
    assert_eq!(config.outputs.len(), 1);
    assert!(KIND.prepare(&config.outputs[0]).is_ok());
    let c: falconer_outputs_azure::eventhub::EventHubConfig =
        falconer_config::from_value(config.outputs[0].settings.clone()).expect("reads");
    assert_eq!(
        (c.name.as_str(), c.podidentityclientid.as_str()),
        ("falco-hub", "pod-client")
    );
}

#[test]
fn half_a_client_secret_is_refused() {
    falconer_http::contract::assert_rejected(
        KIND,
        "azure.eventhub",
        json!({"namespace": "falco", "name": "hub", "tenantid": "t"}),
        &["clientsecret"],
    );
}
