//! Bearer tokens that expire (Google, Microsoft Entra ID): cached until a minute before they
//! expire, fetched again when the cache is empty, dropped when the service answers 401 so the
//! retry of the attempt fetches a new one.

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use falconer_core::SendError;
use http::header::{HeaderMap, HeaderValue, AUTHORIZATION};

use crate::client::HttpTarget;

/// A token is fetched again this long before it expires.
pub const RENEW_BEFORE: Duration = Duration::from_secs(60);

/// A token as the token endpoint gave it.
#[derive(Debug)]
pub struct BearerToken {
    /// The access token.
    pub token: String,
    /// How long it is valid from now.
    pub lifetime: Duration,
}

struct Cached {
    header: HeaderValue,
    renew_at: Instant,
}

/// The token of one output instance.
#[derive(Default)]
pub struct TokenCache {
    cached: tokio::sync::Mutex<Option<Cached>>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache").finish_non_exhaustive()
    }
}

impl TokenCache {
    /// The `Authorization: Bearer …` header: the cached token, or one `fetch` gives (one
    /// fetch at a time; the others wait for it).
    pub async fn headers<F, Fut>(&self, fetch: F) -> Result<HeaderMap, SendError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<BearerToken, SendError>>,
    {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_none_or(|c| Instant::now() >= c.renew_at) {
            let token = fetch().await?;
            let mut header = HeaderValue::from_str(&format!("Bearer {}", token.token))
                .map_err(|_| SendError::Other("the access token is not a header value".into()))?;
            header.set_sensitive(true);
            *cached = Some(Cached {
                header,
                renew_at: Instant::now() + token.lifetime.saturating_sub(RENEW_BEFORE),
            });
        }
        let mut headers = HeaderMap::new();
        if let Some(c) = cached.as_ref() {
            headers.insert(AUTHORIZATION, c.header.clone());
        }
        Ok(headers)
    }

    /// Sends `body` to `target` with the token and `extra` headers and returns the 2xx answer
    /// (at most `limit` bytes). A 401 drops the token and fails the attempt as retryable:
    /// an expired or revoked token is not the alert's fault.
    pub async fn send<F, Fut>(
        &self,
        target: &HttpTarget,
        body: Bytes,
        extra: HeaderMap,
        limit: usize,
        fetch: F,
    ) -> Result<Bytes, SendError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<BearerToken, SendError>>,
    {
        let mut headers = self.headers(fetch).await?;
        headers.extend(extra);
        match target.send_reading_with_headers(body, headers, limit).await {
            Err(SendError::Status { status, body, .. })
                if status == http::StatusCode::UNAUTHORIZED =>
            {
                *self.cached.lock().await = None;
                Err(SendError::Other(
                    format!("the access token was refused (401: {body}); the retry uses a new one")
                        .into(),
                ))
            }
            other => other,
        }
    }
}

/// A failed token request: a 4xx other than 429 means the credentials are refused, final,
/// with the identity provider's reason (`who`: "Google", "Microsoft Entra ID").
pub fn token_error(who: &str, e: SendError) -> SendError {
    match e {
        SendError::Status { status, body, .. }
            if status.is_client_error() && status != http::StatusCode::TOO_MANY_REQUESTS =>
        {
            SendError::Rejected(format!("{who} refused the credentials ({status}): {body}"))
        }
        other => other,
    }
}
