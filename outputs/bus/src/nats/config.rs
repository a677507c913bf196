//! The `nats` block: falcosidekick's keys plus credentials, TLS and JetStream.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use serde::Deserialize;

use super::output::Nats;
use super::subject::SubjectTemplate;

/// Configuration of one NATS instance. `Debug` never shows credentials.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatsConfig {
    /// Server URL(s), comma-separated: `nats://host:4222`, `tls://host:4222`.
    pub hostport: String,
    /// Subject; `<priority>` and `<rule>` are replaced as falcosidekick does.
    #[serde(default = "default_subject")]
    pub subjecttemplate: String,
    /// Publish to JetStream and wait for each acknowledgement (a stream must capture the
    /// subjects).
    #[serde(default)]
    pub jetstream: bool,
    /// User (with `password`).
    #[serde(default)]
    pub user: String,
    /// Password.
    #[serde(default)]
    pub password: Secret,
    /// Token.
    #[serde(default)]
    pub token: Secret,
    /// A `.creds` file (JWT and NKey seed).
    #[serde(default)]
    pub credsfile: String,
    /// Verify the server's certificate (system roots plus `tlsclient.cacertfile`); always on.
    #[serde(default = "default_true")]
    pub checkcert: bool,
    /// Present the client certificate of `mutualtlsclient.*` / `mutualtlsfilespath`.
    #[serde(default)]
    pub mutualtls: bool,
    /// falcosidekick registers `nats.clusterid` (a NATS Streaming setting) but never reads
    /// it: accepted and ignored, with a warning at start when set.
    #[serde(default)]
    pub clusterid: String,
    /// falcosidekick registers `nats.clientid` (a NATS Streaming setting) but never reads
    /// it: accepted and ignored, with a warning at start when set.
    #[serde(default)]
    pub clientid: String,
}

fn default_subject() -> String {
    "falco.<priority>.<rule>".into()
}

fn default_true() -> bool {
    true
}

/// Messages per flush at most.
const MAX_BATCH: usize = 256;

#[async_trait::async_trait]
impl OutputConfig for NatsConfig {
    const KIND: &'static str = "nats";
    const BLOCK: &'static str = "nats";
    const ENABLED_BY: &'static [&'static str] = &["hostport"];
    const DESTINATION: &'static str = "nats";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(MAX_BATCH, 4 << 20, Duration::ZERO);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        for url in self.hostport.split(',').map(str::trim) {
            let scheme = url.split_once("://").map(|(s, _)| s);
            if !matches!(scheme, Some("nats" | "tls" | "ws" | "wss")) {
                problems.push(
                    "hostport",
                    format!("{url:?} is not a nats://, tls://, ws:// or wss:// URL"),
                );
            }
        }
        let probe = self
            .subjecttemplate
            .replace("<priority>", "p")
            .replace("<rule>", "r");
        if probe.is_empty() || probe.contains(char::is_whitespace) || probe.contains(['*', '>']) {
            problems.push(
                "subjecttemplate",
                "must be a subject without spaces or wildcards",
            );
        }
        if !self.checkcert {
            problems.push(
                "checkcert",
                "false is not supported for NATS: trust the server's CA with tlsclient.cacertfile",
            );
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        for (key, value) in [("clusterid", &self.clusterid), ("clientid", &self.clientid)] {
            if !value.trim().is_empty() {
                tracing::warn!(
                    output = %cx.path,
                    "{key} is ignored: it is a NATS Streaming (STAN) setting that NATS does not \
                     use (falcosidekick ignores it too)"
                );
            }
        }
        let mut options = async_nats::ConnectOptions::new()
            .name(format!("falconer:{}", cx.name))
            .connection_timeout(Duration::from_secs(5))
            // Start even when NATS is down; the delivery core retries until it is back.
            .retry_on_initial_connect();
        if !self.user.is_empty() {
            options =
                options.user_and_password(self.user.clone(), self.password.expose().to_owned());
        }
        if !self.token.is_empty() {
            options = options.token(self.token.expose().to_owned());
        }
        if !self.credsfile.is_empty() {
            options = options
                .credentials_file(&self.credsfile)
                .await
                .map_err(|e| {
                    BuildError::new(&cx.path, format!("credsfile {}: {e}", self.credsfile))
                })?;
        }
        if !cx.global.tlsclient.cacertfile.is_empty() {
            options = options.add_root_certificates(PathBuf::from(&cx.global.tlsclient.cacertfile));
        }
        if self.mutualtls {
            let files = cx.global.mutual_tls_files();
            options = options
                .add_root_certificates(files.ca)
                .add_client_certificate(files.cert, files.key)
                .require_tls(true);
        }
        let servers: Vec<&str> = self.hostport.split(',').map(str::trim).collect();
        let client = options
            .connect(servers)
            .await
            .map_err(|e| BuildError::new(&cx.path, e))?;
        Ok(Arc::new(Nats::new(
            client,
            SubjectTemplate::new(&self.subjecttemplate),
            self.jetstream,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::NatsConfig;
    use serde_json::json;

    /// falcosidekick's `nats.clusterid` and `nats.clientid` (registered, never read) load.
    #[test]
    fn the_stan_leftover_keys_are_accepted() {
        let config = falconer_config::from_value::<NatsConfig>(json!({
            "hostport": "nats://127.0.0.1:4222",
            "clusterid": "falco-cluster",
            "clientid": "falco-client",
        }))
        .expect("accepted");
        assert_eq!(config.clusterid, "falco-cluster");
        assert_eq!(config.clientid, "falco-client");
    }
}
