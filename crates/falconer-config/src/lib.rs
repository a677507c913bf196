//! Falconer's configuration: a falcosidekick `config.yaml` is valid as is, environment
//! variables override it with falcosidekick's names (`SLACK_WEBHOOKURL`, `LISTENPORT`,
//! `CUSTOMFIELDS=k:v,k:v`), and a list `outputs:` adds named instances so one kind can be used
//! many times. Loading is pure (text and an env map in, config or every error out), so
//! `falconer check` validates offline.

mod delivery;
mod duration;
mod error;
pub mod falcosidekick;
mod k8saudit;
mod lenient;
mod load;
mod policy;
mod reload;
mod schema;
mod secret;
mod secret_files;

pub use delivery::{
    BatchSettings, BreakerSettings, DeadLetterSettings, RetrySettings, SpoolSettings,
    DEFAULT_SPOOL_BYTES,
};
pub use duration::{parse_go_duration, GoDuration};
pub use error::{join_path, ConfigError, ConfigErrors, Problems};
pub use k8saudit::{
    K8sAuditSettings, DEFAULT_K8SAUDIT_EVENT_BYTES, DEFAULT_K8SAUDIT_REQUEST_BYTES,
};
pub use lenient::{from_value, parse_go_bool, parse_pairs, Lenient, LenientError};
pub use load::{
    load, load_partial, Config, KindSchema, OutputEntry, Sources, MAX_BATCH_EVENTS,
    MAX_QUEUE_CAPACITY, MIN_STORE_BYTES, NOTLS_ROUTES,
};
pub use policy::{DedupSettings, GroupSettings, RouteSettings, SilenceSettings, ThrottleSettings};
pub use reload::ReloadSettings;
pub use schema::{
    CommonSettings, GlobalSettings, IngestSettings, MutualTlsClient, OverflowPolicy,
    PrometheusSettings, QueueSettings, ShutdownSettings, TlsClient, TlsServer, COMMON_KEYS,
    DEFAULT_DATADIR, DEFAULT_PROMETHEUS_SERIES, MAX_PROMETHEUS_SERIES,
};
pub use secret::Secret;
pub use serde_aux::serde_introspection::serde_introspect;

/// Builds the env-var-to-key list for a kind's config struct from its serde field names.
pub fn fields_of<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    serde_introspect::<T>()
}

impl GlobalSettings {
    /// The enrichment settings these globals describe.
    pub fn enrich_settings(&self) -> falconer_event::EnrichSettings {
        falconer_event::EnrichSettings {
            custom_fields: self.customfields.clone().into_iter().collect(),
            custom_tags: self.customtags.clone(),
            templated_fields: self.templatedfields.clone().into_iter().collect(),
            bracket_replacer: self.bracketreplacer.clone(),
            output_field_format: self.outputfieldformat.clone(),
        }
    }

    /// The address to bind: `listenaddress`, or all IPv4 interfaces when it is empty.
    pub fn listen_ip(&self) -> &str {
        if self.listenaddress.is_empty() {
            "0.0.0.0"
        } else {
            &self.listenaddress
        }
    }

    /// The client certificate, key and CA of outputs with `mutualtls: true`:
    /// `mutualtlsclient.*` when set, else `client.crt`, `client.key` and `ca.crt` in
    /// `mutualtlsfilespath` (falcosidekick's rule).
    pub fn mutual_tls_files(&self) -> MutualTlsFiles {
        let pick = |explicit: &str, file: &str| {
            if explicit.is_empty() {
                std::path::Path::new(&self.mutualtlsfilespath).join(file)
            } else {
                std::path::PathBuf::from(explicit)
            }
        };
        MutualTlsFiles {
            cert: pick(&self.mutualtlsclient.certfile, "client.crt"),
            key: pick(&self.mutualtlsclient.keyfile, "client.key"),
            ca: pick(&self.mutualtlsclient.cacertfile, "ca.crt"),
        }
    }

    /// `prometheus.extralabels` as a list.
    pub fn prometheus_extra_labels(&self) -> Vec<String> {
        self.prometheus
            .extralabels
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// Where the client TLS material of `mutualtls` outputs is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutualTlsFiles {
    /// Client certificate (PEM).
    pub cert: std::path::PathBuf,
    /// Client key (PEM).
    pub key: std::path::PathBuf,
    /// CA of the servers (PEM).
    pub ca: std::path::PathBuf,
}
