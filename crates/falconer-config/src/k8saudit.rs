//! `k8saudit:`: Kubernetes audit events posted by the kube-apiserver's audit webhook to
//! `POST /k8s-audit`, evaluated with Falco's rule language (`k8s_audit` source).

use serde::Deserialize;

use crate::error::ConfigErrors;

/// `k8saudit.*`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct K8sAuditSettings {
    /// Serve `POST /k8s-audit` on the ingest port.
    pub enabled: bool,
    /// A port of its own for the webhook as well (Falco's is 9765), serving only
    /// `/k8s-audit`, with the ingest port's TLS, mutual TLS and token; `0`: none.
    pub listenport: u16,
    /// Falco rules files loaded in order (later files append to or override earlier ones);
    /// empty: Falconer's embedded default rules. Name the embedded file
    pub rulesfiles: Vec<String>,
    /// `first` (Falco's default: only the first matching rule, in load order, raises an
    /// alert) or `all`.
    pub rulematching: String,
    /// Largest webhook body accepted (Falco's `webhookMaxBatchSize`); larger ones get 413.
    pub maxrequestbytes: usize,
    /// Largest single audit event evaluated (Falco's `maxEventSize`); larger ones are
    /// skipped and logged.
    pub maxeventbytes: usize,
    /// The alerts' `hostname`; empty: `FALCO_HOSTNAME`, else the host's name.
    pub hostname: String,
    /// Write the time at the start of `output` as ISO 8601 (Falco's `time_format_iso_8601`)
    /// instead of `HH:MM:SS.nnnnnnnnn`.
    pub timeformatiso8601: bool,
}

/// Default of `k8saudit.maxrequestbytes`: 12 MiB, as Falco's k8saudit plugin.
pub const DEFAULT_K8SAUDIT_REQUEST_BYTES: usize = 12 * 1024 * 1024;
/// Default of `k8saudit.maxeventbytes`: 256 KiB, as Falco's k8saudit plugin.
pub const DEFAULT_K8SAUDIT_EVENT_BYTES: usize = 256 * 1024;

impl Default for K8sAuditSettings {
    fn default() -> Self {
        K8sAuditSettings {
            enabled: false,
            listenport: 0,
            rulesfiles: Vec::new(),
            rulematching: "first".into(),
            maxrequestbytes: DEFAULT_K8SAUDIT_REQUEST_BYTES,
            maxeventbytes: DEFAULT_K8SAUDIT_EVENT_BYTES,
            hostname: String::new(),
            timeformatiso8601: false,
        }
    }
}

impl K8sAuditSettings {
    /// The problems of these settings (the rules files are read by the binary).
    pub fn problems(&self, errors: &mut ConfigErrors) {
        if !matches!(
            self.rulematching.trim().to_ascii_lowercase().as_str(),
            "first" | "all"
        ) {
            errors.push(
                "k8saudit.rulematching",
                format!("must be first or all, not {:?}", self.rulematching),
            );
        }
        if self.maxrequestbytes == 0 {
            errors.push("k8saudit.maxrequestbytes", "must be greater than 0");
        }
        if self.maxeventbytes == 0 {
            errors.push("k8saudit.maxeventbytes", "must be greater than 0");
        }
        if self.rulesfiles.iter().any(|f| f.trim().is_empty()) {
            errors.push("k8saudit.rulesfiles", "a path is empty");
        }
    }
}
