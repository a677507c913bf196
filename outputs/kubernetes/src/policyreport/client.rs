//! The Kubernetes API: the client (a kubeconfig file, the in-cluster service account, or the
//! default kubeconfig), the two report resources, and how API errors are classified.

use std::path::PathBuf;

use falconer_core::SendError;
use http::StatusCode;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::config::{Config, KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::Client;

use super::encode::Scope;

/// The API group and version of the reports.
pub const GROUP: &str = "wgpolicyk8s.io";
/// The version of the reports' API.
pub const VERSION: &str = "v1alpha2";

/// Where the client's configuration comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterAccess {
    /// The in-cluster service account, else `KUBECONFIG` or `~/.kube/config`.
    Default,
    /// This kubeconfig file (the in-cluster service account when it does not exist there).
    Kubeconfig(PathBuf),
}

/// No Kubernetes client could be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The kubeconfig file is unusable.
    #[error("cannot use the kubeconfig {path}: {source}")]
    Kubeconfig {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: KubeconfigError,
    },
    /// Not in a cluster, and no default kubeconfig.
    #[error("no Kubernetes API access: not in a cluster ({in_cluster}), and no kubeconfig ({kubeconfig})")]
    Nothing {
        /// Why the in-cluster configuration failed.
        in_cluster: String,
        /// Why the default kubeconfig failed.
        kubeconfig: String,
    },
    /// The client could not be built from the configuration.
    #[error("cannot make a Kubernetes client: {0}")]
    Client(#[source] kube::Error),
}

async fn from_file(path: &PathBuf) -> Result<Config, ConnectError> {
    let wrap = |source| ConnectError::Kubeconfig {
        path: path.display().to_string(),
        source,
    };
    let kubeconfig = Kubeconfig::read_from(path).map_err(wrap)?;
    Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(wrap)
}

/// The client configuration `access` names.
async fn configure(access: &ClusterAccess) -> Result<Config, ConnectError> {
    if let ClusterAccess::Kubeconfig(path) = access {
        if path.exists() {
            return from_file(path).await;
        }
        return match Config::incluster() {
            Ok(config) => {
                tracing::info!(kubeconfig = %path.display(), "PolicyReport: no such kubeconfig; using the in-cluster service account.");
                Ok(config)
            }
            Err(_) => from_file(path).await,
        };
    }
    let in_cluster = match Config::incluster() {
        Ok(config) => return Ok(config),
        Err(e) => e.to_string(),
    };
    Config::from_kubeconfig(&KubeConfigOptions::default())
        .await
        .map_err(|e| ConnectError::Nothing {
            in_cluster,
            kubeconfig: e.to_string(),
        })
}

/// A Kubernetes client as `access` says; reads files, makes no request.
pub async fn connect(access: &ClusterAccess) -> Result<Client, ConnectError> {
    let config = configure(access).await?;
    tracing::debug!(cluster = %config.cluster_url, "PolicyReport: Kubernetes API.");
    // kube's rustls config takes the process's crypto provider; Falconer's is aws-lc-rs.
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    }
    Client::try_from(config).map_err(ConnectError::Client)
}

/// The resource of the reports of `scope`.
pub fn resource(scope: &Scope) -> ApiResource {
    let kind = match scope {
        Scope::Namespace(_) => "PolicyReport",
        Scope::Cluster => "ClusterPolicyReport",
    };
    ApiResource {
        group: GROUP.into(),
        version: VERSION.into(),
        api_version: format!("{GROUP}/{VERSION}"),
        kind: kind.into(),
        plural: format!("{}s", kind.to_ascii_lowercase()),
    }
}

/// The API of the reports of `scope`.
pub fn api(client: &Client, scope: &Scope) -> Api<DynamicObject> {
    let resource = resource(scope);
    match scope {
        Scope::Namespace(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        Scope::Cluster => Api::all_with(client.clone(), &resource),
    }
}

/// The status of an API error answer, if the error is one.
pub fn status_of(error: &kube::Error) -> Option<u16> {
    match error {
        kube::Error::Api(answer) => Some(answer.code),
        _ => None,
    }
}

/// An API error as the core classifies it: the answer's status (401, 403, 404, 422 final;
/// 429 and 5xx retried) with the API server's message; no answer (connection, TLS,
/// timeout) is retried.
pub fn classify(error: kube::Error) -> SendError {
    match error {
        kube::Error::Api(answer) => SendError::Status {
            status: StatusCode::from_u16(answer.code).unwrap_or(StatusCode::BAD_GATEWAY),
            body: hint(answer.code, &answer.reason, &answer.message),
            retry_after: None,
        },
        e @ (kube::Error::HyperError(_) | kube::Error::Service(_)) => {
            SendError::Connect(Box::new(e))
        }
        e => SendError::Other(Box::new(e)),
    }
}

fn hint(code: u16, reason: &str, message: &str) -> String {
    let advice = match code {
        401 => " (the credentials were refused)",
        403 => " (RBAC: Falconer needs get, create and update on policyreports and clusterpolicyreports in wgpolicyk8s.io)",
        404 => " (is the wgpolicyk8s.io/v1alpha2 CRD installed, and does the namespace exist?)",
        _ => "",
    };
    format!("{reason}: {message}{advice}")
}
