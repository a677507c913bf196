//! The hook kinds against the recording sink, through the real delivery core: one module per
//! kind (one test binary for the family).

#[cfg(feature = "cloudevents")]
mod cloudevents;
#[cfg(feature = "fission")]
mod fission;
#[cfg(feature = "kubeless")]
mod kubeless;
#[cfg(feature = "n8n")]
mod n8n;
#[cfg(feature = "nodered")]
mod nodered;
#[cfg(feature = "openfaas")]
mod openfaas;
mod recipe;
#[cfg(feature = "talon")]
mod talon;
#[cfg(feature = "tekton")]
mod tekton;

use falconer_core::OutputKind;
use falconer_http::contract::{assert_one_post, deliver, quick, sample};
use falconer_testkit::{RecordedRequest, RecordingSink};

/// The content type falcosidekick's shared client sends.
#[allow(dead_code)]
pub const JSON: &str = "application/json; charset=utf-8";

/// Delivers alert 1 through `kind` with `settings` and checks the one request: a `POST` to
/// `target` with `content_type` and the payload JSON plus a newline, falcosidekick's body.
#[allow(dead_code)]
pub async fn assert_payload_post(
    sink: &RecordingSink,
    kind: OutputKind,
    settings: serde_json::Value,
    target: &str,
    content_type: &str,
) -> RecordedRequest {
    let alert = sample(1);
    let got = deliver(sink, kind, settings, quick(1), std::slice::from_ref(&alert)).await;
    let mut body = alert.json_bytes().to_vec();
    body.push(b'\n');
    assert_one_post(&got, target, content_type, &body).clone()
}

#[allow(unused_imports)]
pub use falconer_http::contract::from_env;
