//! The guarded password check every sign-in path goes through (basic auth, the login form,
//! `POST /api/v1/auth`): backoff first, then the cache of verified credentials, then at
//! most `maxverifications` hashes at once on the blocking pool. Failures are logged (user
//! and client, never the password) and counted.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use falconer_metrics::{UiAuthFailure, UiAuthRefusal};

use super::backoff::ClientKey;
use super::{check_hash, Auth};

/// The address a request came from, when the server recorded it
/// (`ConnectInfo<SocketAddr>` in the request extensions).
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// Reads it from request extensions.
    pub fn of(extensions: &axum::http::Extensions) -> ClientAddr {
        ClientAddr(
            extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr::of(&parts.extensions))
    }
}

/// What became of a sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The credentials are valid: the user name.
    Allowed(String),
    /// Wrong, unknown or malformed credentials (401).
    Denied,
    /// Not checked (429): too many checks running, or the client or user is in backoff.
    Refused {
        /// Why.
        reason: UiAuthRefusal,
        /// When to try again.
        retry_after: Duration,
    },
}

impl Verdict {
    /// The 429 of a refusal, with `Retry-After` in whole seconds (at least 1).
    pub fn refusal_response(reason: UiAuthRefusal, retry_after: Duration) -> Response {
        let secs = whole_seconds(retry_after);
        let message = match reason {
            UiAuthRefusal::Busy => "too many sign-in attempts at once; try again shortly".into(),
            UiAuthRefusal::Backoff => {
                format!("too many failed sign-in attempts; try again in {secs} s")
            }
        };
        let mut res = (StatusCode::TOO_MANY_REQUESTS, message).into_response();
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        res
    }
}

/// `d` in whole seconds, rounded up, at least 1 (for `Retry-After`).
pub(crate) fn whole_seconds(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

/// A user name fit for a log line: at most 64 characters, control characters replaced.
fn loggable(user: &str) -> String {
    user.chars()
        .take(64)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

impl Auth {
    /// Checks `user` and `password` from `client`, within the limits: refused without
    /// hashing while the client or user is in backoff or `maxverifications` checks are
    /// running; otherwise hashed on the blocking pool (or found in the cache of verified
    /// credentials).
    pub async fn check(&self, user: &str, password: &str, client: ClientAddr) -> Verdict {
        let now = Instant::now();
        let client_key = client.0.map(ClientKey::from);
        let hash = self.users.get(user).cloned();
        let known = hash.is_some().then_some(user);
        if let Some(wait) = self.backoff.locked(known, client_key, now) {
            self.metrics.auth_refused(UiAuthRefusal::Backoff);
            tracing::debug!(user = %loggable(user), client = ?client_key.map(|c| c.to_string()), "web UI sign-in refused: backoff");
            return Verdict::Refused {
                reason: UiAuthRefusal::Backoff,
                retry_after: wait,
            };
        }
        let fingerprint = self.verified.fingerprint(user, password);
        if known.is_some() && self.verified.contains(&fingerprint, now) {
            self.backoff.succeeded(user, client_key, now);
            return Verdict::Allowed(user.to_owned());
        }
        let ok = if user.is_empty() || password.is_empty() {
            false
        } else {
            let Ok(permit) = self.limiter.clone().try_acquire_owned() else {
                self.metrics.auth_refused(UiAuthRefusal::Busy);
                return Verdict::Refused {
                    reason: UiAuthRefusal::Busy,
                    retry_after: Duration::from_secs(1),
                };
            };
            let hash = hash.clone().unwrap_or_else(|| self.dummy.clone());
            let password = password.to_owned();
            let verified = tokio::task::spawn_blocking(move || {
                let ok = check_hash(&hash, &password);
                drop(permit);
                ok
            })
            .await
            .unwrap_or(false);
            verified && known.is_some()
        };
        let now = Instant::now();
        if ok {
            self.verified.insert(fingerprint, now);
            self.backoff.succeeded(user, client_key, now);
            return Verdict::Allowed(user.to_owned());
        }
        let reason = if known.is_some() {
            UiAuthFailure::BadCredentials
        } else {
            UiAuthFailure::UnknownUser
        };
        self.metrics.auth_failed(reason);
        self.backoff.failed(known, client_key, now);
        tracing::warn!(
            user = %loggable(user),
            client = %client_key.map_or_else(|| "unknown".to_owned(), |c| c.to_string()),
            reason = reason.label(),
            "web UI sign-in failed"
        );
        Verdict::Denied
    }

    /// Checks an `Authorization: Basic …` header value like [`Auth::check`]; malformed
    /// headers are denied without counting as a failure.
    pub async fn check_basic(&self, header: &str, client: ClientAddr) -> Verdict {
        match parse_basic(header) {
            Some((user, password)) => self.check(&user, &password, client).await,
            None => Verdict::Denied,
        }
    }
}

/// The user and password of a basic `Authorization` header.
fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_headers_parse() {
        let enc = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert_eq!(
            parse_basic(&format!("Basic {}", enc("admin:pa:ss"))),
            Some(("admin".into(), "pa:ss".into()))
        );
        assert_eq!(
            parse_basic(&format!("basic {}", enc("a:b"))),
            Some(("a".into(), "b".into()))
        );
        assert_eq!(parse_basic(&format!("Bearer {}", enc("a:b"))), None);
        assert_eq!(parse_basic("Basic !!!"), None);
        assert_eq!(parse_basic(&format!("Basic {}", enc("nocolon"))), None);
    }

    #[test]
    fn user_names_are_made_safe_for_logs() {
        assert_eq!(loggable("ad\nmin"), "ad?min");
        assert_eq!(loggable(&"x".repeat(500)).len(), 64);
    }
}
