//! The GCP outputs against recording sinks: the token exchange (a JWT signed with the test
//! key, checked with its public key), each API's exact request, classification, a refused
//! token renewed, the env variables, and the family recipe. One test binary.

mod chronicle;
mod cloudfunctions;
mod cloudrun;
mod pubsub;
mod recipe;
mod storage;

use base64::Engine as _;
use falconer_testkit::{RecordedRequest, RecordingSink, Reply};
use serde_json::json;

/// The golden files' folder.
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The access token the fake token endpoint hands out.
pub const TOKEN: &str = "ya29.test-token";

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(FIXTURES).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A token endpoint that answers every exchange with [`TOKEN`].
pub async fn token_endpoint() -> RecordingSink {
    let sink = RecordingSink::start().await;
    sink.fallback(Reply::status(200).body(
        &json!({"access_token": TOKEN, "expires_in": 3599, "token_type": "Bearer"}).to_string(),
    ));
    sink
}

/// `gcp.credentials` as falcosidekick takes it: base64 of a service-account key whose
/// `token_uri` is `tokens`.
pub fn credentials(tokens: &RecordingSink) -> String {
    let key = json!({
        "type": "service_account",
        "project_id": "falconer-test",
        "private_key_id": "k1",
        "private_key": fixture("test-service-account.pem"),
        "client_email": "falconer@falconer-test.iam.gserviceaccount.com",
        "token_uri": tokens.url("/token"),
    });
    base64::engine::general_purpose::STANDARD.encode(key.to_string())
}

#[derive(serde::Deserialize)]
struct Claims {
    iss: String,
    scope: String,
    aud: String,
    iat: i64,
    exp: i64,
}

/// Checks one token exchange: a form POST to `/token` with the JWT-bearer grant and an
/// assertion signed with the test key for the test account, the cloud-platform scope and the
/// token URI as audience, valid for an hour.
pub fn assert_token_exchange(r: &RecordedRequest, tokens: &RecordingSink) {
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/token"));
    assert_eq!(
        r.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let body = r.text();
    let assertion = body
        .strip_prefix("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=")
        .unwrap_or_else(|| panic!("not a JWT-bearer grant: {body}"));
    let key =
        jsonwebtoken::DecodingKey::from_rsa_pem(fixture("test-service-account.pub.pem").as_bytes())
            .expect("public key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[tokens.url("/token")]);
    let data =
        jsonwebtoken::decode::<Claims>(assertion, &key, &validation).expect("signed by the key");
    assert_eq!(data.header.kid.as_deref(), Some("k1"));
    assert_eq!(
        data.claims.iss,
        "falconer@falconer-test.iam.gserviceaccount.com"
    );
    assert_eq!(
        data.claims.scope,
        "https://www.googleapis.com/auth/cloud-platform"
    );
    assert_eq!(data.claims.aud, tokens.url("/token"));
    assert_eq!(data.claims.exp - data.claims.iat, 3600);
}

#[allow(unused_imports)]
pub use falconer_http::contract::from_env;

#[tokio::test]
async fn without_a_key_the_token_comes_from_the_metadata_server() {
    let metadata = token_endpoint().await;
    let cx = falconer_core::BuildContext {
        name: "gcppubsub".into(),
        path: "gcp.pubsub".into(),
        global: std::sync::Arc::new(falconer_config::GlobalSettings::default()),
        resources: falconer_core::Resources::default(),
    };
    let host = metadata.addr().to_string();
    let auth =
        falconer_outputs_gcp::common::GoogleAuth::metadata_server(&cx, &host).expect("builds");
    for _ in 0..2 {
        let headers = auth.headers().await.expect("a token");
        assert_eq!(
            headers.get("authorization").and_then(|v| v.to_str().ok()),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    let got = metadata.requests();
    assert_eq!(got.len(), 1, "cached");
    assert_eq!(
        (got[0].method.as_str(), got[0].path.as_str()),
        (
            "GET",
            "/computeMetadata/v1/instance/service-accounts/default/token"
        )
    );
    assert_eq!(got[0].header("metadata-flavor"), Some("Google"));
}
