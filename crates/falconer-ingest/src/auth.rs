//! The optional bearer token of ingest requests, compared in constant time.

use axum::http::{header, HeaderMap};
use subtle::ConstantTimeEq;

/// True when no token is required, or `headers` carry `Authorization: Bearer <token>`.
pub(crate) fn authorized(token: Option<&str>, headers: &HeaderMap) -> bool {
    let Some(expected) = token else {
        return true;
    };
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
    else {
        return false;
    };
    // Constant time for equal lengths; a length mismatch fails at once (it reveals only the
    // length, which a token of fixed size does not hide anyway).
    given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn bearer_tokens_are_checked() {
        assert!(authorized(None, &HeaderMap::new()));
        assert!(authorized(Some("t0k"), &headers("Bearer t0k")));
        assert!(authorized(Some("t0k"), &headers("bearer  t0k")));
        assert!(!authorized(Some("t0k"), &headers("Bearer t0K")));
        assert!(!authorized(Some("t0k"), &headers("Bearer t0k2")));
        assert!(!authorized(Some("t0k"), &headers("Basic t0k")));
        assert!(!authorized(Some("t0k"), &HeaderMap::new()));
    }
}
