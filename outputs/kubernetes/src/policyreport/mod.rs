//! The `policyreport` kind: each alert becomes a result of a `wgpolicyk8s.io/v1alpha2`
//! report kept in the cluster through the Kubernetes API
//! (<https://github.com/kubernetes-sigs/wg-policy-prototypes/tree/master/policy-report>):
//! the `PolicyReport` `falco-policy-report` of the alert's namespace (`k8s.ns.name`, or
//! `ka.target.namespace` for `k8s_audit`), else the `ClusterPolicyReport`
//! `falco-cluster-policy-report`. Each delivery reads the report (creating it when it does not
//! exist), appends the results, trims it to `maxevents` (oldest first, or with
//! `prunebypriority` the oldest of severity info, low or medium first), recomputes its
//! `summary` and replaces it, retrying on a conflict with another writer.
//!
//! Differences from falcosidekick: stable report names instead of names with a random suffix
//! (a restart or a second replica keeps adding to the same reports), the report in the
//! cluster is the state (falcosidekick overwrites it with its in-memory copy), result times
//! are the alert's Unix time (falcosidekick writes the second of the minute), the summary
//! counts every result by its outcome, `resources` name the pod or the audited object,
//! `k8s_audit` alerts are reported (falcosidekick only takes the source name `k8saudit`),
//! and the label `app.kubernetes.io/created-by` is `falconer`.

mod client;
mod config;
mod encode;
mod output;
mod report;

pub use config::{PolicyReportConfig, DEFAULT_MAX_EVENTS};
pub use encode::{result_of, scope_of, Scope};
pub use report::{merge, new_report, Trim, CATEGORY, CLUSTER_REPORT, CREATED_BY, REPORT};

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<PolicyReportConfig>();

#[cfg(test)]
mod tests;
