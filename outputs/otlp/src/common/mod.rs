//! What the OTLP kinds share: their falcosidekick keys' checks, the HTTP target, the resource
//! and attribute builders.

use std::time::Duration;

use falconer_core::{BuildContext, BuildError, SendError};
use falconer_http::{check_url, http_url, post_target, HttpKeys, HttpTarget, TargetOptions};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, ArrayValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;

/// `true`, for `#[serde(default = …)]`.
pub fn default_true() -> bool {
    true
}

/// Declares an OTLP block's config struct: falcosidekick's keys every signal has
/// (`endpoint`, `protocol`, `headers`, `timeout`, `extraenvvars`, `tls`, `checkcert`), then
/// the signal's own fields.
macro_rules! otlp_config {
    ($(#[$meta:meta])* pub struct $name:ident { $($fields:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// The collector's URL for this signal, path included
            /// (`http://otel-collector:4318/v1/traces`).
            pub endpoint: String,
            /// `http/protobuf` (default). `grpc` is refused: Falconer speaks OTLP over HTTP.
            #[serde(default)]
            pub protocol: String,
            /// Headers of every export, `key=value,key2=value2` (`OTEL_EXPORTER_OTLP_HEADERS`
            /// form).
            #[serde(default)]
            pub headers: String,
            /// Time limit of an export, milliseconds (default 10000).
            #[serde(default)]
            pub timeout: i64,
            /// Raw `OTEL_*` variables falcosidekick handed to the SDK: accepted, not read
            /// (logged).
            #[serde(default)]
            pub extraenvvars: std::collections::BTreeMap<String, String>,
            /// TLS to the collector (the URL's scheme decides; kept for falcosidekick configs).
            #[serde(default)]
            pub tls: bool,
            /// Verify the collector's certificate (default true).
            #[serde(default = "crate::common::default_true")]
            pub checkcert: bool,
            $($fields)*
        }
    };
}
pub(crate) use otlp_config;

/// The content type of OTLP/HTTP protobuf requests.
pub const PROTOBUF: &str = "application/x-protobuf";

/// The resource of every export, as falcosidekick's `newResource`.
pub fn resource() -> Resource {
    Resource {
        attributes: vec![
            string("service.name", "falco"),
            string("service.version", "v0.1.0"),
        ],
        ..Resource::default()
    }
}

/// A string attribute.
pub fn string(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..KeyValue::default()
    }
}

/// A string-array attribute.
pub fn strings(key: &str, values: &[String]) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::ArrayValue(ArrayValue {
                values: values
                    .iter()
                    .map(|v| AnyValue {
                        value: Some(any_value::Value::StringValue(v.clone())),
                    })
                    .collect(),
            })),
        }),
        ..KeyValue::default()
    }
}

/// `headers` (`k=v,k2=v2`, as `OTEL_EXPORTER_OTLP_*_HEADERS`) as pairs; the problem otherwise.
pub fn parse_headers(raw: &str) -> Result<Vec<(String, String)>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| match item.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
            _ => Err(format!("{item:?} is not key=value")),
        })
        .collect()
}

/// The checks every OTLP block shares.
pub fn check_common(
    endpoint: &str,
    protocol: &str,
    headers: &str,
    timeout: i64,
    problems: &mut falconer_core::Problems,
) {
    check_url("endpoint", endpoint, problems);
    match protocol.trim() {
        "" | "http/protobuf" => {}
        "grpc" => problems.push(
            "protocol",
            "grpc is not supported by Falconer yet: use http/protobuf with the collector's \
             OTLP/HTTP port and the signal's path (http://collector:4318/v1/traces or /v1/logs)",
        ),
        other => problems.push(
            "protocol",
            format!("{other:?} is not http/protobuf or grpc"),
        ),
    }
    if let Err(e) = parse_headers(headers) {
        problems.push("headers", e);
    }
    if timeout < 0 {
        problems.push(
            "timeout",
            "must not be negative (milliseconds; 0: the default 10000)",
        );
    }
}

/// The per-attempt time limit of `timeout` milliseconds (falcosidekick's default 10 s).
pub fn attempt_timeout(timeout: i64) -> Duration {
    match u64::try_from(timeout) {
        Ok(ms) if ms > 0 => Duration::from_millis(ms),
        _ => Duration::from_secs(10),
    }
}

/// The POST target of an OTLP block: protobuf, its `headers`, `checkcert`.
pub fn target(
    cx: &BuildContext,
    endpoint: &str,
    headers: &str,
    checkcert: bool,
) -> Result<HttpTarget, BuildError> {
    let url = http_url(endpoint).map_err(|e| BuildError::new(&cx.path, e))?;
    let headers = parse_headers(headers).map_err(|e| BuildError::new(&cx.path, e))?;
    let options = TargetOptions {
        content_type: Some(PROTOBUF.into()),
        headers,
        ..TargetOptions::default()
    };
    let http = HttpKeys {
        checkcert,
        ..HttpKeys::default()
    };
    post_target(cx, &http, url, &options)
}

/// Logs the `extraenvvars` Falconer does not read (falcosidekick handed them to the SDK).
pub fn warn_extra_env(cx: &BuildContext, vars: &std::collections::BTreeMap<String, String>) {
    if !vars.is_empty() {
        let names: Vec<&str> = vars.keys().map(String::as_str).collect();
        tracing::warn!(
            output = %cx.name,
            variables = %names.join(","),
            "extraenvvars are not read by Falconer: set the endpoint, headers and timeout keys instead."
        );
    }
}

/// Sends `body` within `limit`.
pub async fn send_within(
    target: &HttpTarget,
    body: Vec<u8>,
    limit: Duration,
) -> Result<(), SendError> {
    match tokio::time::timeout(limit, target.send(body)).await {
        Ok(result) => result,
        Err(_) => Err(SendError::Timeout(limit)),
    }
}
