//! The `policyreport` block: falcosidekick's keys `enabled`, `kubeconfig`, `falconamespace`,
//! `maxevents` and `prunebypriority` (`minimumpriority` is a common key).

use std::sync::Arc;
use std::time::Duration;

use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use serde::Deserialize;

use super::client::{connect, ClusterAccess};
use super::output::PolicyReports;
use super::report::Trim;

/// Results a report keeps at most, unless `maxevents` says otherwise (falcosidekick's).
pub const DEFAULT_MAX_EVENTS: usize = 1000;
/// Alerts per delivery at most: one read and one replace per report for all of them.
const MAX_BATCH: usize = 100;
/// Payload bytes per delivery at most (a report is one object of at most 1.5 MB in etcd).
const MAX_BYTES: usize = 512 << 10;
/// How long a partial batch waits.
const LINGER: Duration = Duration::from_millis(200);

fn default_max_events() -> usize {
    DEFAULT_MAX_EVENTS
}

/// Configuration of the PolicyReport output.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyReportConfig {
    /// Enables the singleton `policyreport:` block.
    #[serde(default)]
    pub enabled: bool,
    /// The kubeconfig file to use (`~/` is the home folder). Empty: the in-cluster service
    /// account, else `KUBECONFIG` or `~/.kube/config`. A file that does not exist is skipped
    /// in the cluster (falcosidekick's chart sets `~/.kube/config`).
    #[serde(default)]
    pub kubeconfig: String,
    /// The namespace Falco runs in. Accepted as falcosidekick accepts it; its code uses it
    /// nowhere, and neither does Falconer.
    #[serde(default)]
    pub falconamespace: String,
    /// Results a report keeps at most (default 1000); the oldest go first.
    #[serde(default = "default_max_events")]
    pub maxevents: usize,
    /// When a report is full, drop the oldest result of severity info, low or medium
    /// (priority Warning or lower) rather than the oldest result.
    #[serde(default)]
    pub prunebypriority: bool,
}

impl PolicyReportConfig {
    fn access(&self) -> ClusterAccess {
        let kubeconfig = self.kubeconfig.trim();
        if kubeconfig.is_empty() {
            return ClusterAccess::Default;
        }
        let path = match (kubeconfig.strip_prefix("~/"), std::env::var_os("HOME")) {
            (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
            _ => kubeconfig.into(),
        };
        ClusterAccess::Kubeconfig(path)
    }
}

#[async_trait::async_trait]
impl OutputConfig for PolicyReportConfig {
    const KIND: &'static str = "policyreport";
    const BLOCK: &'static str = "policyreport";
    const ENABLED_BY: &'static [&'static str] = &["enabled"];
    const DESTINATION: &'static str = "policyreport";
    const DEFAULTS: DeliveryDefaults = DeliveryDefaults::batching(MAX_BATCH, MAX_BYTES, LINGER);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if self.maxevents == 0 {
            problems.push("maxevents", "must be at least 1");
        }
        let ns = self.falconamespace.trim();
        if !ns.is_empty() && super::encode::scope_of_namespace(ns).is_none() {
            problems.push(
                "falconamespace",
                format!("{:?} is not a namespace name", self.falconamespace),
            );
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let client = connect(&self.access())
            .await
            .map_err(|e| BuildError::new(&cx.path, e))?;
        let trim = Trim {
            max: self.maxevents,
            by_priority: self.prunebypriority,
        };
        tracing::info!(output = %cx.name, maxevents = trim.max, prunebypriority = trim.by_priority, "PolicyReport output ready.");
        Ok(Arc::new(PolicyReports::new(client, trim)))
    }
}
