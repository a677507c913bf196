//! Building clients and sending requests.

use std::path::{Path, PathBuf};

use std::io::Write as _;

use bytes::Bytes;
use falconer_config::GlobalSettings;
use falconer_core::SendError;
use http::header::{
    HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE,
};
use reqwest::{Certificate, Identity, Method};

use crate::HttpKeys;

/// `Content-Type` of JSON bodies, as falcosidekick sends it.
pub const CONTENT_TYPE_JSON: &str = "application/json; charset=utf-8";
/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("Falconer/", env!("CARGO_PKG_VERSION"));

/// A client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A certificate or key file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A certificate or key is not valid PEM.
    #[error("invalid certificate material in {path}: {source}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// A custom header name or value is invalid.
    #[error("invalid header {name:?}")]
    Header {
        /// The header name.
        name: String,
    },
    /// reqwest refused the configuration.
    #[error("cannot build HTTP client: {0}")]
    Build(#[source] reqwest::Error),
}

/// What an output adds to falcosidekick's common HTTP options: its own content type, headers
/// of its protocol (credentials, tenant) and request compression. `Debug` shows header names
/// only.
#[derive(Clone, Default)]
pub struct TargetOptions {
    /// `Content-Type` instead of [`CONTENT_TYPE_JSON`].
    pub content_type: Option<String>,
    /// Headers sent with every request, after the default ones and before the custom headers
    /// (so `customheaders` can still override them, as in falcosidekick). Values never print.
    pub headers: Vec<(String, String)>,
    /// Gzip non-empty request bodies and send `Content-Encoding: gzip`.
    pub gzip: bool,
}

impl std::fmt::Debug for TargetOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TargetOptions")
            .field("content_type", &self.content_type)
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("gzip", &self.gzip)
            .finish()
    }
}

impl TargetOptions {
    /// Adds `Authorization: Basic base64(user:password)`.
    pub fn basic_auth(&mut self, user: &str, password: &str) {
        self.headers
            .push((AUTHORIZATION.to_string(), basic_auth_value(user, password)));
    }
}

/// The value of an `Authorization` header for HTTP basic authentication.
pub fn basic_auth_value(user: &str, password: &str) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// Gzips `body` (fast compression: alert JSON compresses well even at level 1).
pub fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4 + 64),
        flate2::Compression::fast(),
    );
    encoder.write_all(body)?;
    encoder.finish()
}

/// One destination: a client (carrying the headers sent with every request), a method and a
/// URL. `Debug` shows scheme, host and port only: paths and queries often carry tokens.
#[derive(Clone)]
pub struct HttpTarget {
    client: reqwest::Client,
    method: Method,
    url: reqwest::Url,
    gzip: bool,
}

impl std::fmt::Debug for HttpTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTarget")
            .field("method", &self.method)
            .field("scheme", &self.url.scheme())
            .field("host", &self.url.host_str())
            .field("port", &self.url.port_or_known_default())
            .finish_non_exhaustive()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, ClientError> {
    std::fs::read(path).map_err(|source| ClientError::Read {
        path: path.to_owned(),
        source,
    })
}

/// One custom header; the value is marked sensitive so it never prints.
fn parse_header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), ClientError> {
    let invalid = || ClientError::Header {
        name: name.to_owned(),
    };
    let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
    let mut v = HeaderValue::from_str(value).map_err(|_| invalid())?;
    v.set_sensitive(true);
    Ok((n, v))
}

impl HttpKeys {
    /// Names of custom headers that are not valid HTTP (for an output's `validate`).
    pub fn invalid_headers(&self) -> Vec<String> {
        self.customheaders
            .iter()
            .filter(|(name, value)| parse_header(name, value).is_err())
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Builds the pooled client of one output instance, sending `headers` with every request.
    fn build_client(
        &self,
        global: &GlobalSettings,
        headers: HeaderMap,
    ) -> Result<reqwest::Client, ClientError> {
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(USER_AGENT)
            .tcp_nodelay(true)
            .pool_max_idle_per_host(1024);
        let mut roots = Vec::new();
        if !global.tlsclient.cacertfile.is_empty() {
            roots.push(PathBuf::from(&global.tlsclient.cacertfile));
        }
        if self.mutualtls {
            let files = global.mutual_tls_files();
            let (cert, key, ca) = (files.cert, files.key, files.ca);
            let mut pem = read(&cert)?;
            pem.push(b'\n');
            pem.extend(read(&key)?);
            let identity = Identity::from_pem(&pem)
                .map_err(|source| ClientError::Pem { path: cert, source })?;
            builder = builder.identity(identity);
            roots.push(ca);
        } else if !self.checkcert {
            tracing::warn!(
                "checkcert is false: this output does not verify the server's TLS certificate."
            );
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        for path in roots {
            let certs =
                Certificate::from_pem_bundle(&read(&path)?).map_err(|source| ClientError::Pem {
                    path: path.clone(),
                    source,
                })?;
            builder = builder.tls_certs_merge(certs);
        }
        builder.build().map_err(ClientError::Build)
    }

    /// A target sending `method` requests to `url` with JSON content type and the custom headers.
    pub fn target(
        &self,
        global: &GlobalSettings,
        method: Method,
        url: reqwest::Url,
    ) -> Result<HttpTarget, ClientError> {
        self.target_with(global, method, url, &TargetOptions::default())
    }

    /// [`HttpKeys::target`] with an output's own content type, headers and
    /// compression. Header order: defaults, then `options.headers`, then the custom headers.
    pub fn target_with(
        &self,
        global: &GlobalSettings,
        method: Method,
        url: reqwest::Url,
        options: &TargetOptions,
    ) -> Result<HttpTarget, ClientError> {
        let mut headers = HeaderMap::new();
        let content_type = match &options.content_type {
            Some(ct) => parse_header(CONTENT_TYPE.as_str(), ct)?.1,
            None => HeaderValue::from_static(CONTENT_TYPE_JSON),
        };
        headers.insert(CONTENT_TYPE, content_type);
        let extra = options.headers.iter().map(|(n, v)| (n, v));
        for (name, value) in extra.chain(&self.customheaders) {
            let (n, v) = parse_header(name, value)?;
            headers.insert(n, v);
        }
        Ok(HttpTarget {
            client: self.build_client(global, headers)?,
            method,
            url,
            gzip: options.gzip,
        })
    }
}

impl HttpTarget {
    /// The destination URL.
    pub fn url(&self) -> &reqwest::Url {
        &self.url
    }

    /// The same client (connections, TLS, headers, compression) sending `method` requests to
    /// `url` (another index, the template API, …).
    pub fn retarget(&self, method: Method, url: reqwest::Url) -> HttpTarget {
        HttpTarget {
            client: self.client.clone(),
            method,
            url,
            gzip: self.gzip,
        }
    }

    /// True when request bodies are gzipped.
    pub fn gzips(&self) -> bool {
        self.gzip
    }

    /// Sends `body` once and classifies the outcome. The core applies the timeout.
    pub async fn send(&self, body: impl Into<Bytes>) -> Result<(), SendError> {
        let response = self.execute(body.into()).await?;
        crate::classify::classify_response(response).await
    }

    /// Like [`HttpTarget::send`], but returns the body of a 2xx answer (bulk APIs report
    /// per-item results there). A body longer than `limit` bytes is an error, never a silently
    /// truncated answer.
    pub async fn send_reading(
        &self,
        body: impl Into<Bytes>,
        limit: usize,
    ) -> Result<Bytes, SendError> {
        let response = self.execute(body.into()).await?;
        crate::classify::read_success(response, limit).await
    }

    /// Like [`HttpTarget::send`], with `headers` added to this request only (an event ID, a
    /// CloudEvents attribute): they replace the target's headers of the same name.
    pub async fn send_with_headers(
        &self,
        body: impl Into<Bytes>,
        headers: HeaderMap,
    ) -> Result<(), SendError> {
        let response = self.execute_with(body.into(), headers).await?;
        crate::classify::classify_response(response).await
    }

    /// [`HttpTarget::send_reading`] with `headers` added to this request only (an access
    /// token that changes over time).
    pub async fn send_reading_with_headers(
        &self,
        body: impl Into<Bytes>,
        headers: HeaderMap,
        limit: usize,
    ) -> Result<Bytes, SendError> {
        let response = self.execute_with(body.into(), headers).await?;
        crate::classify::read_success(response, limit).await
    }

    async fn execute(&self, body: Bytes) -> Result<reqwest::Response, SendError> {
        self.execute_with(body, HeaderMap::new()).await
    }

    async fn execute_with(
        &self,
        body: Bytes,
        headers: HeaderMap,
    ) -> Result<reqwest::Response, SendError> {
        let mut request = self
            .client
            .request(self.method.clone(), self.url.clone())
            .headers(headers);
        if self.gzip && !body.is_empty() {
            let compressed = gzip(&body).map_err(|e| SendError::Encode(Box::new(e)))?;
            request = request
                .header(CONTENT_ENCODING, HeaderValue::from_static("gzip"))
                .body(compressed);
        } else {
            request = request.body(body);
        }
        request.send().await.map_err(transport_error)
    }
}

/// Maps a reqwest transport error to the core's classes, without the URL (it may hold a
/// token, and errors are logged).
fn transport_error(e: reqwest::Error) -> SendError {
    let e = e.without_url();
    if e.is_connect() {
        SendError::Connect(Box::new(e))
    } else if e.is_timeout() {
        SendError::Timeout(std::time::Duration::ZERO)
    } else if e.is_builder() {
        SendError::Encode(Box::new(e))
    } else {
        SendError::Other(Box::new(e))
    }
}
