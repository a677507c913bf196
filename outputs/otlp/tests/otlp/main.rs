//! The OTLP outputs against an in-process OTLP/HTTP receiver (the recording sink, each
//! request decoded as the protobuf message the collector would decode): every field of the
//! spans and log records, headers, classification, the config checks and env variables, the
//! family recipe. One test binary.

mod logs;
mod metrics;
mod recipe;
mod traces;

/// The golden files' folder.
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The attributes of an OTLP message as `(key, value as text)`: strings as they are, arrays
/// as `[a, b]`.
pub fn attributes(
    attrs: &[opentelemetry_proto::tonic::common::v1::KeyValue],
) -> Vec<(String, String)> {
    use opentelemetry_proto::tonic::common::v1::any_value::Value;
    fn text(v: &Option<Value>) -> String {
        match v {
            Some(Value::StringValue(s)) => s.clone(),
            Some(Value::ArrayValue(a)) => format!(
                "[{}]",
                a.values
                    .iter()
                    .map(|x| text(&x.value))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            other => format!("{other:?}"),
        }
    }
    attrs
        .iter()
        .map(|kv| {
            (
                kv.key.clone(),
                text(&kv.value.as_ref().and_then(|v| v.value.clone())),
            )
        })
        .collect()
}

/// The collector's answers, classified: a 429 with `Retry-After: 1` and a 503 are retried
/// (a second apart at least), a 400 is final with the collector's reason. Uses two syscall
/// alerts (both kinds export them); each attempt may carry its own observed time.
pub async fn assert_retries_then_final(kind: falconer_core::OutputKind, endpoint_path: &str) {
    use falconer_http::contract::{launch, quick, sample, WAIT};
    use falconer_testkit::{RecordingSink, Reply};
    let sink = RecordingSink::start().await;
    sink.script([
        Reply::status(429).header("Retry-After", "1"),
        Reply::status(503).body("overloaded"),
        Reply::status(200),
        Reply::status(400).body("bad export"),
    ]);
    let env = launch(
        kind,
        serde_json::json!({"endpoint": sink.url(endpoint_path)}),
        quick(1),
    )
    .await;
    env.dispatcher.dispatch(sample(1)).await;
    sink.wait_for(3, WAIT).await;
    env.dispatcher.dispatch(sample(3)).await;
    env.dispatcher.shutdown(WAIT).await;
    let got = sink.requests();
    assert_eq!(got.len(), 4, "429 and 503 retried, the 400 not");
    assert!(
        got[1].received_at.duration_since(got[0].received_at) >= std::time::Duration::from_secs(1),
        "Retry-After honoured"
    );
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0].meta.reason, "rejected");
    assert!(
        letters[0].meta.error.contains("bad export"),
        "{}",
        letters[0].meta.error
    );
}

#[allow(unused_imports)]
pub use falconer_http::contract::from_env;
