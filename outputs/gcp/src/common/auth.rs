//! Google OAuth 2.0 access tokens, as falcosidekick's Google client libraries get them:
//!
//! - with `gcp.credentials` (a base64 service-account key, as falcosidekick takes it; plain
//!   JSON works too), a JWT signed with the key (RS256, scope `cloud-platform`, audience the
//!   key's `token_uri`) is exchanged at `token_uri` for an access token;
//! - without it (or with `gcp.workloadidentity: true`), the metadata server of the node or
//!   GKE workload identity gives one (`GCE_METADATA_HOST` overrides its address, as in
//!   Google's libraries).
//!
//! Tokens are cached ([`TokenCache`]) until a minute before they expire; a request Google
//! refuses with 401 drops the cached token so the retry fetches a new one.

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use falconer_core::{BuildContext, BuildError, SendError};
use falconer_http::{token_error, BearerToken, HttpKeys, HttpTarget, TargetOptions, TokenCache};
use http::header::HeaderMap;
use serde::Deserialize;

/// The scope every token is asked for.
pub const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// Google's token endpoint, when the key names none.
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// The metadata server's address, unless `GCE_METADATA_HOST` names another.
pub const METADATA_HOST: &str = "metadata.google.internal";
/// Bytes of a token answer read at most.
const MAX_TOKEN_ANSWER: usize = 64 << 10;
/// The grant of a signed JWT, form-encoded.
const JWT_GRANT: &str = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer";

/// Why the credentials cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GoogleAuthError {
    /// `gcp.credentials` is neither base64 of a JSON key nor JSON.
    #[error("gcp.credentials is not a base64-encoded (or plain) service-account JSON key: {0}")]
    NotAKey(String),
    /// The key's private key is not an RSA PEM key.
    #[error("the service-account key's private_key is not an RSA key in PEM: {0}")]
    PrivateKey(String),
    /// The token endpoint or metadata URL is not a URL.
    #[error("{0:?} is not an http(s) URL")]
    Url(String),
}

/// The fields of a service-account JSON key that matter here.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceAccountKey {
    /// The account (`name@project.iam.gserviceaccount.com`): the JWT's issuer.
    pub client_email: String,
    /// The RSA private key in PEM.
    pub private_key: String,
    /// The key's ID, sent as the JWT's `kid`.
    #[serde(default)]
    pub private_key_id: String,
    /// Where tokens are exchanged.
    #[serde(default)]
    pub token_uri: String,
}

impl ServiceAccountKey {
    /// Reads `gcp.credentials`: base64 of the JSON key, as falcosidekick takes it, or the
    /// JSON itself.
    pub fn parse(credentials: &str) -> Result<Self, GoogleAuthError> {
        let text = credentials.trim();
        let json = if text.starts_with('{') {
            text.as_bytes().to_vec()
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| GoogleAuthError::NotAKey(e.to_string()))?
        };
        let key: ServiceAccountKey =
            serde_json::from_slice(&json).map_err(|e| GoogleAuthError::NotAKey(e.to_string()))?;
        jsonwebtoken::EncodingKey::from_rsa_pem(key.private_key.as_bytes())
            .map_err(|e| GoogleAuthError::PrivateKey(e.to_string()))?;
        Ok(key)
    }

    fn token_uri(&self) -> &str {
        match self.token_uri.trim() {
            "" => DEFAULT_TOKEN_URI,
            uri => uri,
        }
    }
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Where tokens come from.
#[derive(Debug)]
enum Source {
    /// A service-account key, exchanged at its token URI.
    ServiceAccount {
        email: String,
        kid: String,
        audience: String,
        key: jsonwebtoken::EncodingKey,
        exchange: HttpTarget,
    },
    /// The metadata server.
    Metadata { fetch: HttpTarget },
}

/// Access tokens for one GCP output instance.
pub struct GoogleAuth {
    source: Source,
    tokens: TokenCache,
}

impl std::fmt::Debug for GoogleAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::ServiceAccount { email, .. } => format!("service account {email}"),
            Source::Metadata { fetch } => format!("metadata server {}", fetch.url()),
        };
        f.debug_struct("GoogleAuth")
            .field("source", &source)
            .finish_non_exhaustive()
    }
}

fn url(raw: &str) -> Result<reqwest::Url, GoogleAuthError> {
    falconer_http::http_url(raw).map_err(|_| GoogleAuthError::Url(raw.to_owned()))
}

impl GoogleAuth {
    /// The token source of `credentials` (empty, or `workloadidentity`: the metadata server).
    pub fn new(
        cx: &BuildContext,
        credentials: &str,
        workloadidentity: bool,
    ) -> Result<Self, BuildError> {
        let fail = |e: GoogleAuthError| BuildError::new(&cx.path, e);
        let http = HttpKeys::default();
        if credentials.trim().is_empty() || workloadidentity {
            let host = std::env::var("GCE_METADATA_HOST")
                .ok()
                .filter(|h| !h.trim().is_empty())
                .unwrap_or_else(|| METADATA_HOST.to_owned());
            return Self::metadata_server(cx, host.trim());
        }
        let source = {
            let key = ServiceAccountKey::parse(credentials).map_err(fail)?;
            let signing = jsonwebtoken::EncodingKey::from_rsa_pem(key.private_key.as_bytes())
                .map_err(|e| fail(GoogleAuthError::PrivateKey(e.to_string())))?;
            let options = TargetOptions {
                content_type: Some("application/x-www-form-urlencoded".into()),
                ..TargetOptions::default()
            };
            let exchange = falconer_http::post_target(
                cx,
                &http,
                url(key.token_uri()).map_err(fail)?,
                &options,
            )?;
            Source::ServiceAccount {
                email: key.client_email.clone(),
                kid: key.private_key_id.clone(),
                audience: key.token_uri().to_owned(),
                key: signing,
                exchange,
            }
        };
        Ok(GoogleAuth {
            source,
            tokens: TokenCache::default(),
        })
    }

    /// Tokens from the metadata server at `host` (`metadata.google.internal`, or
    /// `host:port`).
    pub fn metadata_server(cx: &BuildContext, host: &str) -> Result<Self, BuildError> {
        let address =
            format!("http://{host}/computeMetadata/v1/instance/service-accounts/default/token");
        let options = TargetOptions {
            headers: vec![("Metadata-Flavor".into(), "Google".into())],
            ..TargetOptions::default()
        };
        let address = url(&address).map_err(|e| BuildError::new(&cx.path, e))?;
        let fetch = HttpKeys::default()
            .target_with(&cx.global, reqwest::Method::GET, address, &options)
            .map_err(|e| BuildError::new(&cx.path, e))?;
        Ok(GoogleAuth {
            source: Source::Metadata { fetch },
            tokens: TokenCache::default(),
        })
    }

    /// The signed JWT a service account exchanges for a token, issued at `now` (Unix seconds).
    fn assertion(
        email: &str,
        kid: &str,
        audience: &str,
        key: &jsonwebtoken::EncodingKey,
        now: i64,
    ) -> Result<String, SendError> {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        if !kid.is_empty() {
            header.kid = Some(kid.to_owned());
        }
        let claims = Claims {
            iss: email,
            scope: SCOPE,
            aud: audience,
            iat: now,
            exp: now + 3600,
        };
        jsonwebtoken::encode(&header, &claims, key).map_err(|e| SendError::Encode(Box::new(e)))
    }

    /// Asks for a new token.
    async fn fetch(&self) -> Result<BearerToken, SendError> {
        let answer = match &self.source {
            Source::ServiceAccount {
                email,
                kid,
                audience,
                key,
                exchange,
            } => {
                let jwt =
                    Self::assertion(email, kid, audience, key, chrono::Utc::now().timestamp())?;
                let body = format!("grant_type={JWT_GRANT}&assertion={jwt}");
                exchange
                    .send_reading(Bytes::from(body), MAX_TOKEN_ANSWER)
                    .await
            }
            Source::Metadata { fetch } => fetch.send_reading(Bytes::new(), MAX_TOKEN_ANSWER).await,
        }
        .map_err(|e| token_error("Google", e))?;
        let token: TokenAnswer = serde_json::from_slice(&answer).map_err(|e| {
            SendError::Other(format!("Google's token answer is not a token: {e}").into())
        })?;
        Ok(BearerToken {
            token: token.access_token,
            lifetime: Duration::from_secs(token.expires_in.unwrap_or(3600)),
        })
    }

    /// The `Authorization` header of a request: the cached token, or a new one.
    pub async fn headers(&self) -> Result<HeaderMap, SendError> {
        self.tokens.headers(|| self.fetch()).await
    }

    /// Sends `body` to `target` with a token and returns the 2xx answer (at most `limit`
    /// bytes). A 401 drops the token and is retried with a new one.
    pub async fn send(
        &self,
        target: &HttpTarget,
        body: Bytes,
        limit: usize,
    ) -> Result<Bytes, SendError> {
        self.tokens
            .send(target, body, HeaderMap::new(), limit, || self.fetch())
            .await
    }
}
