//! Building clients and sending requests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use falconer_config::GlobalSettings;
use falconer_core::SendError;
use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use reqwest::{Certificate, Identity, Method};

/// `Content-Type` of JSON bodies, as falcosidekick sends it.
pub const CONTENT_TYPE_JSON: &str = "application/json; charset=utf-8";
/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("Falconer/", env!("CARGO_PKG_VERSION"));

/// falcosidekick's per-output HTTP options. `Debug` prints header names only: custom headers
/// often carry credentials.
#[derive(Clone, Default)]
pub struct HttpClientSettings {
    /// Verify the server's certificate (`checkcert`, default true). Never turned off
    /// silently: a warning is logged when it is.
    pub checkcert: bool,
    /// Present a client certificate (`mutualtls`).
    pub mutualtls: bool,
    /// Headers added to every request, after the defaults (so they may override them).
    pub customheaders: BTreeMap<String, String>,
}

impl std::fmt::Debug for HttpClientSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClientSettings")
            .field("checkcert", &self.checkcert)
            .field("mutualtls", &self.mutualtls)
            .field(
                "customheaders",
                &self.customheaders.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

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

/// One destination: a client (carrying the headers sent with every request), a method and a
/// URL. `Debug` shows scheme, host and port only: paths and queries often carry tokens.
#[derive(Clone)]
pub struct HttpTarget {
    client: reqwest::Client,
    method: Method,
    url: reqwest::Url,
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

fn or_default(explicit: &str, dir: &str, file: &str) -> PathBuf {
    if explicit.is_empty() {
        Path::new(dir).join(file)
    } else {
        PathBuf::from(explicit)
    }
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

impl HttpClientSettings {
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
            let dir = &global.mutualtlsfilespath;
            let cert = or_default(&global.mutualtlsclient.certfile, dir, "client.crt");
            let key = or_default(&global.mutualtlsclient.keyfile, dir, "client.key");
            let ca = or_default(&global.mutualtlsclient.cacertfile, dir, "ca.crt");
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
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_JSON));
        for (name, value) in &self.customheaders {
            let (n, v) = parse_header(name, value)?;
            headers.insert(n, v);
        }
        Ok(HttpTarget {
            client: self.build_client(global, headers)?,
            method,
            url,
        })
    }
}

impl HttpTarget {
    /// The destination URL.
    pub fn url(&self) -> &reqwest::Url {
        &self.url
    }

    /// Sends `body` once and classifies the outcome. The core applies the timeout.
    pub async fn send(&self, body: impl Into<Bytes>) -> Result<(), SendError> {
        let response = self
            .client
            .request(self.method.clone(), self.url.clone())
            .body(body.into())
            .send()
            .await
            .map_err(transport_error)?;
        crate::classify::classify_response(response).await
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
