//! The `azure.eventhub` block: falcosidekick's keys (`namespace`, `name`, and
//! `azure.podidentityclientid`, `azure.podidentityname` from the parent block) plus
//! Falconer's `tenantid`, `clientid`, `clientsecret`, `authorityhost` and `endpoint`.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use falconer_http::{check_url, http_url, post_target, HttpKeys, TargetOptions};
use serde::Deserialize;

use super::output::EventHub;
use crate::common::auth::{AUTHORITY_HOST, IMDS_TOKEN};
use crate::common::{AzureAuth, Credential};

/// Events per request at most.
pub const DEFAULT_MAX_EVENTS: usize = 100;
/// Payload bytes per request at most (Event Hubs takes 1 MB per batch on the basic tier).
pub const DEFAULT_MAX_BYTES: usize = 900 << 10;
/// How long a partial batch waits.
pub const DEFAULT_LINGER: Duration = Duration::from_millis(200);
/// The token resource of Event Hubs.
pub const RESOURCE: &str = "https://eventhubs.azure.net";

/// Configuration of one Event Hubs instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventHubConfig {
    /// The namespace: its fully qualified name (`falco.servicebus.windows.net`, as the Azure
    /// SDK takes it) or its short name (`falco`).
    pub namespace: String,
    /// The event hub.
    pub name: String,
    /// The client ID of a user-assigned managed identity (AAD pod identity), when no
    /// `AZURE_CLIENT_ID` is set.
    #[serde(default)]
    pub podidentityclientid: String,
    /// The AAD pod identity's name (used by the Helm chart; accepted here).
    #[serde(default)]
    pub podidentityname: String,
    /// Falconer: the directory (tenant) of an app registration; with `clientid` and
    /// `clientsecret` it is used instead of the `AZURE_*` environment.
    #[serde(default)]
    pub tenantid: String,
    /// Falconer: the app registration's client ID.
    #[serde(default)]
    pub clientid: String,
    /// Falconer: the app registration's client secret.
    #[serde(default)]
    pub clientsecret: Secret,
    /// Falconer: where Entra ID tokens are asked for (default `AZURE_AUTHORITY_HOST`, else
    /// `https://login.microsoftonline.com`; other clouds have their own).
    #[serde(default)]
    pub authorityhost: String,
    /// Falconer: the namespace's base URL (default `https://<namespace>`).
    #[serde(default)]
    pub endpoint: String,
}

impl EventHubConfig {
    fn fqdn(&self) -> String {
        let ns = self.namespace.trim();
        if ns.contains('.') {
            ns.to_owned()
        } else {
            format!("{ns}.servicebus.windows.net")
        }
    }

    fn messages_url(&self) -> String {
        let base = match self.endpoint.trim() {
            "" => format!("https://{}", self.fqdn()),
            e => e.trim_end_matches('/').to_owned(),
        };
        format!(
            "{base}/{}/messages?api-version=2014-01&timeout=60",
            self.name.trim()
        )
    }

    fn credential(&self) -> Credential {
        if !self.tenantid.trim().is_empty()
            && !self.clientid.trim().is_empty()
            && !self.clientsecret.is_empty()
        {
            return Credential::ClientSecret {
                tenant: self.tenantid.trim().to_owned(),
                client: self.clientid.trim().to_owned(),
                secret: self.clientsecret.expose().to_owned(),
            };
        }
        let env = std::env::vars().collect();
        Credential::from_env(&env, &self.podidentityclientid)
    }

    fn authority(&self) -> String {
        match self.authorityhost.trim() {
            "" => std::env::var("AZURE_AUTHORITY_HOST")
                .ok()
                .filter(|h| !h.trim().is_empty())
                .unwrap_or_else(|| AUTHORITY_HOST.to_owned()),
            h => h.to_owned(),
        }
    }
}

/// A name as Event Hubs allows it: letters, digits, `.`, `-`, `_`.
fn is_name(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
}

#[async_trait::async_trait]
impl OutputConfig for EventHubConfig {
    const KIND: &'static str = "azureeventhub";
    const BLOCK: &'static str = "azure.eventhub";
    const ENABLED_BY: &'static [&'static str] = &["name"];
    const DESTINATION: &'static str = "azureeventhub";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LINGER);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if !is_name(self.namespace.trim()) {
            problems.push(
                "namespace",
                format!("{:?} is not an Event Hubs namespace", self.namespace),
            );
        }
        if !is_name(self.name.trim()) {
            problems.push("name", format!("{:?} is not an event hub name", self.name));
        }
        let partial = [
            !self.tenantid.trim().is_empty(),
            !self.clientid.trim().is_empty(),
            !self.clientsecret.is_empty(),
        ];
        if partial.iter().any(|s| *s) && !partial.iter().all(|s| *s) {
            problems.push(
                "clientsecret",
                "tenantid, clientid and clientsecret go together (or none: the AZURE_* environment)",
            );
        }
        if !self.authorityhost.trim().is_empty() {
            check_url("authorityhost", &self.authorityhost, problems);
        }
        if !self.endpoint.trim().is_empty() {
            check_url("endpoint", &self.endpoint, problems);
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = http_url(&self.messages_url()).map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &HttpKeys::default(), url, &TargetOptions::default())?;
        let auth = AzureAuth::new(
            &cx,
            self.credential(),
            RESOURCE,
            &self.authority(),
            IMDS_TOKEN,
        )?;
        tracing::info!(output = %cx.name, credential = ?auth, "Event Hubs credential.");
        Ok(Arc::new(EventHub { target, auth }))
    }
}
