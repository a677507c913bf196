//! Microsoft Entra ID access tokens, found as the Azure SDK's `DefaultAzureCredential` finds
//! them (falcosidekick uses it), in this order:
//!
//! 1. a client secret: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`;
//! 2. workload identity: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE`
//!    (the file is read again for each token, as it is rotated);
//! 3. managed identity: the instance metadata service (`AZURE_CLIENT_ID`, else
//!    `azure.podidentityclientid`, picks a user-assigned identity).
//!
//! Tokens for `<resource>/.default` are cached ([`TokenCache`]) until a minute before they
//! expire; a request the service refuses with 401 drops the cached token so the retry
//! fetches a new one.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use falconer_core::{BuildContext, BuildError, SendError};
use falconer_http::{token_error, BearerToken, HttpKeys, HttpTarget, TargetOptions, TokenCache};
use http::header::HeaderMap;
use serde::Deserialize;

/// Where Entra ID tokens are asked for, unless `AZURE_AUTHORITY_HOST` says otherwise.
pub const AUTHORITY_HOST: &str = "https://login.microsoftonline.com";
/// The instance metadata service's token endpoint.
pub const IMDS_TOKEN: &str = "http://169.254.169.254/metadata/identity/oauth2/token";
/// Bytes of a service's answer read at most.
const MAX_ANSWER: usize = 1 << 20;
/// Bytes of a token answer read at most.
const MAX_TOKEN_ANSWER: usize = 64 << 10;

/// How tokens are obtained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// An app registration's client secret.
    ClientSecret {
        /// The directory (tenant).
        tenant: String,
        /// The application (client) ID.
        client: String,
        /// The secret.
        secret: String,
    },
    /// A federated token file (AKS workload identity).
    WorkloadIdentity {
        /// The directory (tenant).
        tenant: String,
        /// The application (client) ID.
        client: String,
        /// The projected service-account token.
        token_file: String,
    },
    /// The instance metadata service, for the identity `client` (none: the system one).
    ManagedIdentity {
        /// A user-assigned identity's client ID.
        client: Option<String>,
    },
}

impl Credential {
    /// The credential `env` (the process environment) names, as `DefaultAzureCredential`
    /// picks it; `podidentity` is `azure.podidentityclientid`.
    pub fn from_env(env: &HashMap<String, String>, podidentity: &str) -> Credential {
        let get = |k: &str| {
            env.get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        match (
            get("AZURE_TENANT_ID"),
            get("AZURE_CLIENT_ID"),
            get("AZURE_CLIENT_SECRET"),
            get("AZURE_FEDERATED_TOKEN_FILE"),
        ) {
            (Some(tenant), Some(client), Some(secret), _) => Credential::ClientSecret {
                tenant,
                client,
                secret,
            },
            (Some(tenant), Some(client), None, Some(token_file)) => Credential::WorkloadIdentity {
                tenant,
                client,
                token_file,
            },
            (_, client, _, _) => Credential::ManagedIdentity {
                client: client
                    .or_else(|| Some(podidentity.trim().to_owned()).filter(|c| !c.is_empty())),
            },
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Seconds {
    Number(u64),
    Text(String),
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<Seconds>,
}

/// Access tokens of one Azure output instance.
pub struct AzureAuth {
    credential: Credential,
    resource: String,
    /// The token endpoint (Entra ID's for the tenant, or the metadata service).
    fetch: HttpTarget,
    tokens: TokenCache,
}

impl std::fmt::Debug for AzureAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.credential {
            Credential::ClientSecret { client, .. } => format!("client secret of {client}"),
            Credential::WorkloadIdentity { client, .. } => format!("workload identity {client}"),
            Credential::ManagedIdentity { client } => {
                format!(
                    "managed identity {}",
                    client.as_deref().unwrap_or("(system)")
                )
            }
        };
        f.debug_struct("AzureAuth")
            .field("credential", &kind)
            .field("resource", &self.resource)
            .finish_non_exhaustive()
    }
}

fn form_value(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl AzureAuth {
    /// Tokens for `resource` (`https://eventhubs.azure.net`) by `credential`, asked of
    /// `authority` (Entra ID) or `imds` (the metadata service).
    pub fn new(
        cx: &BuildContext,
        credential: Credential,
        resource: &str,
        authority: &str,
        imds: &str,
    ) -> Result<Self, BuildError> {
        let http = HttpKeys::default();
        let url =
            |raw: &str| falconer_http::http_url(raw).map_err(|e| BuildError::new(&cx.path, e));
        let fetch = match &credential {
            Credential::ClientSecret { tenant, .. }
            | Credential::WorkloadIdentity { tenant, .. } => {
                let address = format!(
                    "{}/{tenant}/oauth2/v2.0/token",
                    authority.trim_end_matches('/')
                );
                let options = TargetOptions {
                    content_type: Some("application/x-www-form-urlencoded".into()),
                    ..TargetOptions::default()
                };
                falconer_http::post_target(cx, &http, url(&address)?, &options)?
            }
            Credential::ManagedIdentity { client } => {
                let mut address = url(imds)?;
                address
                    .query_pairs_mut()
                    .append_pair("api-version", "2018-02-01")
                    .append_pair("resource", resource);
                if let Some(client) = client {
                    address.query_pairs_mut().append_pair("client_id", client);
                }
                let options = TargetOptions {
                    headers: vec![("Metadata".into(), "true".into())],
                    ..TargetOptions::default()
                };
                http.target_with(&cx.global, reqwest::Method::GET, address, &options)
                    .map_err(|e| BuildError::new(&cx.path, e))?
            }
        };
        Ok(AzureAuth {
            credential,
            resource: resource.to_owned(),
            fetch,
            tokens: TokenCache::default(),
        })
    }

    /// The token request's body (empty for the metadata service).
    fn request_body(&self) -> Result<String, SendError> {
        let scope = form_value(&format!("{}/.default", self.resource));
        match &self.credential {
            Credential::ClientSecret { client, secret, .. } => Ok(format!(
                "grant_type=client_credentials&client_id={}&client_secret={}&scope={scope}",
                form_value(client),
                form_value(secret)
            )),
            Credential::WorkloadIdentity {
                client, token_file, ..
            } => {
                let assertion = std::fs::read_to_string(token_file).map_err(|e| {
                    SendError::Other(format!("cannot read {token_file}: {e}").into())
                })?;
                Ok(format!(
                    "grant_type=client_credentials&client_id={}&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={}&scope={scope}",
                    form_value(client),
                    form_value(assertion.trim())
                ))
            }
            Credential::ManagedIdentity { .. } => Ok(String::new()),
        }
    }

    async fn fetch(&self) -> Result<BearerToken, SendError> {
        let answer = self
            .fetch
            .send_reading(Bytes::from(self.request_body()?), MAX_TOKEN_ANSWER)
            .await
            .map_err(|e| token_error("Microsoft Entra ID", e))?;
        let token: TokenAnswer = serde_json::from_slice(&answer).map_err(|e| {
            SendError::Other(format!("the token answer is not a token: {e}").into())
        })?;
        let seconds = match token.expires_in {
            Some(Seconds::Number(n)) => n,
            Some(Seconds::Text(t)) => t.trim().parse().unwrap_or(3600),
            None => 3600,
        };
        Ok(BearerToken {
            token: token.access_token,
            lifetime: Duration::from_secs(seconds),
        })
    }

    /// The `Authorization` header of a request: the cached token, or a new one.
    pub async fn headers(&self) -> Result<HeaderMap, SendError> {
        self.tokens.headers(|| self.fetch()).await
    }

    /// Sends `body` to `target` with a token, adding `extra` headers. A 401 drops the token
    /// and is retried with a new one.
    pub async fn send(
        &self,
        target: &HttpTarget,
        body: Bytes,
        extra: HeaderMap,
    ) -> Result<(), SendError> {
        self.tokens
            .send(target, body, extra, MAX_ANSWER, || self.fetch())
            .await
            .map(|_| ())
    }
}
