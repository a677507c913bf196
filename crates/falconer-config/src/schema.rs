//! The global settings (falcosidekick's top-level keys plus Falconer's own) and the settings
//! every output instance shares.

use std::collections::BTreeMap;

use falconer_event::Priority;
use serde::Deserialize;

use crate::delivery::{
    BatchSettings, BreakerSettings, DeadLetterSettings, RetrySettings, SpoolSettings,
};
use crate::duration::GoDuration;
use crate::secret::Secret;

/// Top-level settings. Keys are falcosidekick's (`listenport`, `customfields`, …); Falconer's
/// additions are `ingest`, `shutdown` and `outputs`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GlobalSettings {
    /// Address to bind (`""` = all interfaces).
    pub listenaddress: String,
    /// Ingest port.
    pub listenport: u16,
    /// Log every alert and every outgoing body.
    pub debug: bool,
    /// Fields added to every alert's output_fields. A value `%NAME` is read from env var NAME.
    pub customfields: BTreeMap<String, String>,
    /// Tags appended to every alert.
    pub customtags: Vec<String>,
    /// Fields rendered from Go templates over the output fields.
    pub templatedfields: BTreeMap<String, String>,
    /// Replacement for `[` in output field names (`""` = off).
    pub bracketreplacer: String,
    /// Rewrites `output`, e.g. `"<timestamp>: <priority> <output> <custom_fields>"` (`""` = off).
    pub outputfieldformat: String,
    /// Folder holding `client.crt`, `client.key` and `ca.crt` for outputs with `mutualtls`.
    pub mutualtlsfilespath: String,
    /// Explicit client certificate files for `mutualtls` (override `mutualtlsfilespath`).
    pub mutualtlsclient: MutualTlsClient,
    /// Extra CA for outbound TLS.
    pub tlsclient: TlsClient,
    /// TLS on the ingest server.
    pub tlsserver: TlsServer,
    /// Prometheus options.
    pub prometheus: PrometheusSettings,
    /// Ingest server limits.
    pub ingest: IngestSettings,
    /// Shutdown behaviour.
    pub shutdown: ShutdownSettings,
    /// Folder for the dead-letter store and the outputs' spools (relative to the working
    /// directory unless absolute).
    pub datadir: String,
    /// The dead-letter store.
    pub deadletter: DeadLetterSettings,
    /// The built-in event UI and store (`ui:`), kept raw here and read by the binary with
    /// the UI crate's own types; `None` when the block is absent.
    pub ui: Option<serde_json::Value>,
    /// The routing tree: tried in order, each sends what it matches to its outputs. An
    /// output named in a route or in `defaultroute` gets alerts only through them.
    pub routes: Vec<crate::RouteSettings>,
    /// Outputs for an alert no route matched.
    pub defaultroute: Vec<String>,
    /// Silences kept in the config file (GitOps); the API adds more at run time.
    pub silences: Vec<crate::SilenceSettings>,
    /// Kubernetes audit events on `POST /k8s-audit` (`k8saudit:`).
    pub k8saudit: crate::K8sAuditSettings,
    /// Live reload: file watch and `POST /-/reload`.
    pub reload: crate::ReloadSettings,
}

impl Default for GlobalSettings {
    fn default() -> Self {
        GlobalSettings {
            listenaddress: String::new(),
            listenport: 2801,
            debug: false,
            customfields: BTreeMap::new(),
            customtags: Vec::new(),
            templatedfields: BTreeMap::new(),
            bracketreplacer: String::new(),
            outputfieldformat: String::new(),
            mutualtlsfilespath: "/etc/certs".into(),
            mutualtlsclient: MutualTlsClient::default(),
            tlsclient: TlsClient::default(),
            tlsserver: TlsServer::default(),
            prometheus: PrometheusSettings::default(),
            ingest: IngestSettings::default(),
            shutdown: ShutdownSettings::default(),
            datadir: DEFAULT_DATADIR.into(),
            deadletter: DeadLetterSettings::default(),
            ui: None,
            routes: Vec::new(),
            defaultroute: Vec::new(),
            silences: Vec::new(),
            k8saudit: crate::K8sAuditSettings::default(),
            reload: crate::ReloadSettings::default(),
        }
    }
}

/// Default `datadir`: `falconer-data` in the working directory (the container image and the
/// Helm chart set an absolute path on a volume).
pub const DEFAULT_DATADIR: &str = "falconer-data";

/// `mutualtlsclient.*`
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MutualTlsClient {
    /// Client certificate (PEM).
    pub certfile: String,
    /// Client key (PEM).
    pub keyfile: String,
    /// CA that signed the servers' certificates (PEM).
    pub cacertfile: String,
}

/// `tlsclient.*`
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsClient {
    /// A CA bundle (PEM) trusted in addition to the system roots.
    pub cacertfile: String,
}

/// `tlsserver.*`: TLS (and mTLS) on the ingest port, and a plain-HTTP side port.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsServer {
    /// Serve ingest over TLS.
    pub deploy: bool,
    /// Server certificate.
    pub certfile: String,
    /// Server key.
    pub keyfile: String,
    /// Require client certificates.
    pub mutualtls: bool,
    /// CA for client certificates.
    pub cacertfile: String,
    /// Plain-HTTP side port.
    pub notlsport: u16,
    /// Routes moved to the plain-HTTP side port (`/`, `/ping`, `/healthz`, `/ready`,
    /// `/test`, `/metrics`).
    pub notlspaths: Vec<String>,
    /// How often the certificate, key and CA files are checked for changes (rotation by
    /// cert-manager); a changed set is loaded without a restart.
    pub reloadinterval: GoDuration,
}

impl Default for TlsServer {
    fn default() -> Self {
        TlsServer {
            deploy: false,
            certfile: "/etc/certs/server/server.crt".into(),
            keyfile: "/etc/certs/server/server.key".into(),
            mutualtls: false,
            cacertfile: "/etc/certs/server/ca.crt".into(),
            notlsport: 2810,
            notlspaths: Vec::new(),
            reloadinterval: GoDuration::from_secs(10),
        }
    }
}

/// `prometheus.*`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrometheusSettings {
    /// Output fields added as labels of `falcosecurity_falcosidekick_falco_events_total`
    /// (comma list).
    pub extralabels: String,
    /// Falconer: most series each alert-driven family (`falconer_alerts_total`,
    /// `falcosecurity_falcosidekick_falco_events_total`) creates for distinct label sets.
    /// Past it, alerts with a new label set are counted on an `other` series (rule, hostname,
    /// pod, namespace and extra labels read `other`) and in
    /// `falconer_metrics_series_folded_total`. Between 1 and [`MAX_PROMETHEUS_SERIES`].
    pub maxseries: usize,
    /// Falconer: whether `falcosecurity_falcosidekick_falco_events_total` has the
    /// `k8s_ns_name` and `k8s_pod_name` labels (falcosidekick has them; one series per pod
    /// is many series in a large cluster).
    pub k8slabels: bool,
}

/// Default of `prometheus.maxseries`: a few thousand series per family cover a default
/// ruleset (about 100 rules) on dozens of nodes, and keep a scrape around 1 MiB.
pub const DEFAULT_PROMETHEUS_SERIES: usize = 5000;

/// Largest `prometheus.maxseries` accepted.
pub const MAX_PROMETHEUS_SERIES: usize = 10_000_000;

impl Default for PrometheusSettings {
    fn default() -> Self {
        PrometheusSettings {
            extralabels: String::new(),
            maxseries: DEFAULT_PROMETHEUS_SERIES,
            k8slabels: true,
        }
    }
}

/// `ingest.*`: limits of the ingest server.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestSettings {
    /// Largest accepted request body; larger ones get 413.
    pub maxbodybytes: usize,
    /// Time a client has from connecting (TLS handshake included) to sending a complete
    /// request head, and for each later request head on a keep-alive connection; a socket
    /// that sends nothing, or only part of an HTTP/2 preface, is closed when it runs out.
    pub headertimeout: GoDuration,
    /// A keep-alive connection with no request in progress for this long is closed; so is a
    /// request on which no byte moves for this long.
    pub idletimeout: GoDuration,
    /// Open client connections at most, on the ingest port and its plain side port together.
    /// At the cap a new connection takes the place of an idle one (never-used ones first);
    /// when all are busy it is refused. Lowered at start to fit the open-files limit.
    pub maxconnections: usize,
    /// Open connections from one client address at most (same eviction rule).
    pub maxconnectionsperclient: usize,
    /// Time a client has to send its request body.
    pub bodytimeout: GoDuration,
    /// When set, ingest requests (`POST /`, `/test`) must carry `Authorization: Bearer
    /// <token>`; others get 401. `tokenfile` (or `INGEST_TOKEN_FILE`) reads it from a file.
    pub token: Secret,
    /// Alerts per second one client (IP address) may send (`0` = no limit); more get 429.
    pub ratelimit: u32,
    /// Alerts a client may send at once above its rate (default: one second's worth).
    pub ratelimitburst: u32,
}

impl Default for IngestSettings {
    fn default() -> Self {
        IngestSettings {
            maxbodybytes: 1024 * 1024,
            headertimeout: GoDuration::from_secs(10),
            idletimeout: GoDuration::from_secs(120),
            maxconnections: 4096,
            maxconnectionsperclient: 256,
            bodytimeout: GoDuration::from_secs(30),
            token: Secret::default(),
            ratelimit: 0,
            ratelimitburst: 0,
        }
    }
}

/// `shutdown.*`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShutdownSettings {
    /// How long queued alerts may take to drain after SIGTERM/SIGINT.
    pub graceperiod: GoDuration,
}

impl Default for ShutdownSettings {
    fn default() -> Self {
        ShutdownSettings {
            graceperiod: GoDuration::from_secs(30),
        }
    }
}

/// Keys every output instance accepts besides its kind's own. They configure filtering and the
/// delivery core, never the protocol.
pub const COMMON_KEYS: &[&str] = &[
    "name",
    "type",
    "minimumpriority",
    "maxconcurrentrequests",
    "timeout",
    "queue",
    "retry",
    "breaker",
    "batch",
    "spool",
    "match",
    "throttle",
    "dedup",
    "group",
];

/// Settings shared by every output instance.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CommonSettings {
    /// Lowest priority delivered (`""` = all), falcosidekick semantics.
    pub minimumpriority: String,
    /// Requests in flight at once (`0` = up to 1024). falcosidekick's default of 1 keeps
    /// delivery in order.
    pub maxconcurrentrequests: usize,
    /// Limit for one delivery attempt.
    pub timeout: GoDuration,
    /// The instance's queue.
    pub queue: QueueSettings,
    /// Retries of failed attempts.
    pub retry: RetrySettings,
    /// The circuit breaker.
    pub breaker: BreakerSettings,
    /// Batching, for kinds that send many alerts per request.
    pub batch: BatchSettings,
    /// The durable spool.
    pub spool: SpoolSettings,
    /// Condition over the alert this instance requires (besides `minimumpriority`), in
    /// Falco's condition syntax: `source = k8s_audit and k8s.ns.name in (payments, billing)`.
    #[serde(rename = "match")]
    pub condition: String,
    /// At most `max` alerts per key per window; the excess is summarised.
    pub throttle: Option<crate::ThrottleSettings>,
    /// Alerts with the same key within the window are sent once; repeats are summarised.
    pub dedup: Option<crate::DedupSettings>,
    /// Alerts with the same key are collected for `wait` and sent as one.
    pub group: Option<crate::GroupSettings>,
}

impl Default for CommonSettings {
    fn default() -> Self {
        CommonSettings {
            minimumpriority: String::new(),
            maxconcurrentrequests: 1,
            timeout: GoDuration::from_secs(10),
            queue: QueueSettings::default(),
            retry: RetrySettings::default(),
            breaker: BreakerSettings::default(),
            batch: BatchSettings::default(),
            spool: SpoolSettings::default(),
            condition: String::new(),
            throttle: None,
            dedup: None,
            group: None,
        }
    }
}

impl CommonSettings {
    /// The parsed `minimumpriority`.
    pub fn minimum_priority(&self) -> Option<Priority> {
        Priority::parse_minimum(&self.minimumpriority)
    }
}

/// An output instance's queue.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueSettings {
    /// Alerts waiting for delivery at most.
    pub capacity: usize,
    /// What happens to an alert that finds the queue full.
    pub overflow: OverflowPolicy,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            capacity: 10_000,
            overflow: OverflowPolicy::Drop,
        }
    }
}

/// What to do with an alert whose output queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OverflowPolicy {
    /// Accept the alert for the other outputs; for this one it is counted
    /// (`falconer_output_dropped_total{reason="queue_full"}`) and logged. Ingest never stalls.
    Drop,
    /// Answer the ingest request with 503 so the sender sees the overload (the alert still
    /// goes to the outputs that had room).
    Reject,
}
