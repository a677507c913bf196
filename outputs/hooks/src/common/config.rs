//! Config pieces of the hook kinds: targets, service addresses of in-cluster function
//! platforms, and the checks of their keys.

use falconer_core::{BuildContext, BuildError};
use falconer_http::{check_url, http_url, post_target, HttpKeys, HttpTarget, TargetOptions};

/// A `POST` target for `url` with the instance's HTTP keys and `options`.
pub fn hook_target(
    cx: &BuildContext,
    url: &str,
    http: &HttpKeys,
    options: &TargetOptions,
) -> Result<HttpTarget, BuildError> {
    let url = http_url(url).map_err(|e| BuildError::new(&cx.path, e))?;
    post_target(cx, http, url, options)
}

/// Where an in-cluster function platform is reached: falcosidekick's service URL built from
/// the service's name, namespace and port, unless Falconer's `hostport` replaces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAddress<'a> {
    /// `hostport` (Falconer's addition): a base URL used instead of the service's name.
    pub hostport: &'a str,
    /// The service's in-cluster base URL as falcosidekick writes it
    /// (`http://gateway.openfaas:8080`).
    pub in_cluster: String,
}

impl ServiceAddress<'_> {
    /// The base URL requests go to (no trailing `/`).
    pub fn base(&self) -> String {
        if self.hostport.trim().is_empty() {
            self.in_cluster.clone()
        } else {
            self.hostport.trim_end_matches('/').to_owned()
        }
    }

    /// Pushes a problem for `hostport` when it is set and not an `http(s)` URL.
    pub fn check(&self, problems: &mut falconer_core::Problems) {
        if !self.hostport.is_empty() {
            check_url("hostport", self.hostport, problems);
        }
    }
}

/// falcosidekick's `kubeconfig` (calls through the Kubernetes API server's service proxy) is
/// not implemented: pushes a problem saying what to do instead when it is set.
pub fn check_kubeconfig(kubeconfig: &str, problems: &mut falconer_core::Problems) {
    if !kubeconfig.trim().is_empty() {
        problems.push(
            "kubeconfig",
            "calls through the Kubernetes API service proxy are not supported by Falconer: \
             remove kubeconfig; in the cluster Falconer calls the service directly (as \
             falcosidekick does without kubeconfig), and from outside set hostport to a URL \
             that reaches it",
        );
    }
}

/// Pushes a problem for `key` unless `value` can stand in a host name or URL path segment
/// (a Kubernetes name: not empty, no `/`, `?`, `#`, `:`, `@` or whitespace).
pub fn check_name(key: &str, value: &str, problems: &mut falconer_core::Problems) {
    if value.is_empty() {
        problems.push(key, "must be set");
    } else if value
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '/' | '?' | '#' | ':' | '@'))
    {
        problems.push(key, format!("{value:?} is not a valid name"));
    }
}

/// Pushes a problem for `key` when `port` is 0.
pub fn check_port(key: &str, port: u16, problems: &mut falconer_core::Problems) {
    if port == 0 {
        problems.push(key, "must be between 1 and 65535");
    }
}
