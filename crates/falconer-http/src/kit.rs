//! The HTTP-output kit (formerly the `falconer-output-httpstore` crate): bodies built the way
//! falcosidekick's `json.NewEncoder(body).Encode(payload)` writes them (compact Go JSON plus a
//! newline), URL and header checks for `validate`, and target building for `build`. Used by
//! the chat, incident and log-store families alike.

use std::sync::Arc;

use crate::{HttpKeys, HttpTarget, TargetOptions};
use falconer_core::{Alert, BuildContext, BuildError, SendError};
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

/// Why a URL parser refused a string (`url::ParseError`, named through `reqwest::Url`).
pub type ParseError = <reqwest::Url as std::str::FromStr>::Err;

/// A URL key that is not an `http(s)` URL. The messages never repeat the URL (it may carry a
/// token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not a URL at all.
    #[error("invalid URL: {0}")]
    Invalid(#[source] ParseError),
    /// A URL of another scheme.
    #[error("scheme {0:?} is not http or https")]
    Scheme(String),
}

/// Parses `raw` as an `http` or `https` URL.
pub fn http_url(raw: &str) -> Result<reqwest::Url, UrlError> {
    let url = reqwest::Url::parse(raw).map_err(UrlError::Invalid)?;
    if matches!(url.scheme(), "http" | "https") {
        Ok(url)
    } else {
        Err(UrlError::Scheme(url.scheme().to_owned()))
    }
}

/// Pushes a problem for `key` unless `raw` is an `http(s)` URL. The URL itself is never
/// repeated (it may carry a token).
pub fn check_url(key: &str, raw: &str, problems: &mut falconer_core::Problems) {
    if raw.trim().is_empty() {
        problems.push(key, "must be set");
    } else if let Err(e) = http_url(raw) {
        problems.push(key, e.to_string());
    }
}

/// Pushes a problem for `key` unless `value` can be sent as a header value.
pub fn check_header_value(key: &str, value: &str, problems: &mut falconer_core::Problems) {
    if reqwest::header::HeaderValue::from_str(value).is_err() {
        problems.push(key, "not a valid header value");
    }
}

/// A `POST` target for `url` with the instance's TLS options and `options`.
pub fn post_target(
    cx: &BuildContext,
    http: &HttpKeys,
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
        let mut problems = falconer_core::Problems::default();
        check_url("a", "ftp://x", &mut problems);
        check_url("b", "", &mut problems);
        check_url("c", "not a url", &mut problems);
        check_url("d", "https://x:1/p", &mut problems);
        let keys: Vec<&str> = problems.paths().collect();
        assert_eq!(keys, ["a", "b", "c"]);
    }

    #[test]
    fn go_json_lines_escape_like_go_and_end_with_a_newline() {
        let got = go_json_line(&serde_json::json!({"m": "<a&b>"})).expect("encodes");
        assert_eq!(got, b"{\"m\":\"\\u003ca\\u0026b\\u003e\"}\n");
    }
}
