//! Shared pieces of the light HTTP store outputs (`quickwit`, `openobserve`, `zincsearch`,
//! `sumologic`, `datadoglogs`, `dynatrace`): bodies built the way falcosidekick's
//! `json.NewEncoder(body).Encode(payload)` writes them (compact Go JSON plus a newline), URL
//! and header checks for `validate`, and target building for `build`.
//!
//! With the `contract` feature (for the output crates' tests only), [`contract`] runs an
//! output behind the real delivery core against the recording sink and checks what it sent
//! or refused, and [`fixtures`] compares bodies with golden files.

#[cfg(feature = "contract")]
pub mod contract;
#[cfg(feature = "contract")]
pub mod fixtures;
mod regional;

pub use regional::RegionalApi;

use std::sync::Arc;

use falconer_core::{Alert, BuildContext, BuildError, SendError};
use falconer_http::{HttpClientSettings, HttpTarget, TargetOptions};
use serde::Serialize;

/// The payload JSON of every alert, each followed by `\n` (NDJSON). A batch of one is
/// byte for byte the body falcosidekick posts (its JSON encoder ends the value with `\n`).
pub fn ndjson(batch: &[Arc<Alert>]) -> Vec<u8> {
    let len = batch.iter().map(|a| a.json_bytes().len() + 1).sum();
    let mut out = Vec::with_capacity(len);
    for alert in batch {
        out.extend_from_slice(alert.json_bytes());
        out.push(b'\n');
    }
    out
}

/// `value` as Go's `json.Encoder` writes it: compact, HTML-safe escaping, then `\n`.
pub fn go_json_line<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, SendError> {
    let mut out = falconer_event::to_go_json(value).map_err(|e| SendError::Encode(Box::new(e)))?;
    out.push(b'\n');
    Ok(out)
}

/// Parses `raw` as an `http` or `https` URL.
pub fn http_url(raw: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(raw).map_err(|e| format!("invalid URL: {e}"))?;
    if matches!(url.scheme(), "http" | "https") {
        Ok(url)
    } else {
        Err(format!("scheme {:?} is not http or https", url.scheme()))
    }
}

/// Pushes a problem for `key` unless `raw` is an `http(s)` URL. The URL itself is never
/// repeated (it may carry a token).
pub fn check_url(key: &str, raw: &str, problems: &mut Vec<(String, String)>) {
    if raw.trim().is_empty() {
        problems.push((key.into(), "must be set".into()));
    } else if let Err(e) = http_url(raw) {
        problems.push((key.into(), e));
    }
}

/// Pushes a problem for every custom header that is not valid HTTP.
pub fn check_headers(http: &HttpClientSettings, problems: &mut Vec<(String, String)>) {
    for name in http.invalid_headers() {
        problems.push((
            format!("customheaders.{name}"),
            "invalid header name or value".into(),
        ));
    }
}

/// Pushes a problem for `key` unless `value` can be sent as a header value.
pub fn check_header_value(key: &str, value: &str, problems: &mut Vec<(String, String)>) {
    if reqwest::header::HeaderValue::from_str(value).is_err() {
        problems.push((key.into(), "not a valid header value".into()));
    }
}

/// `serde(default)` for keys that default to true (`checkcert`).
pub fn default_true() -> bool {
    true
}

/// A `POST` target for `url` with the instance's TLS options and `options`.
pub fn post_target(
    cx: &BuildContext,
    http: &HttpClientSettings,
    url: reqwest::Url,
    options: &TargetOptions,
) -> Result<HttpTarget, BuildError> {
    http.target_with(&cx.global, reqwest::Method::POST, url, options)
        .map_err(|e| BuildError::new(&cx.path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http() {
        let mut problems = Vec::new();
        check_url("a", "ftp://x", &mut problems);
        check_url("b", "", &mut problems);
        check_url("c", "not a url", &mut problems);
        check_url("d", "https://x:1/p", &mut problems);
        let keys: Vec<&str> = problems.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
    }

    #[test]
    fn go_json_lines_escape_like_go_and_end_with_a_newline() {
        let got = go_json_line(&serde_json::json!({"m": "<a&b>"})).expect("encodes");
        assert_eq!(got, b"{\"m\":\"\\u003ca\\u0026b\\u003e\"}\n");
    }
}
