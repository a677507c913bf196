//! Alert → report result, pure (no I/O): which report an alert goes to and the result it adds.

use falconer_core::Alert;
use falconer_event::Priority;
use serde_json::{json, Map, Value};

use super::report::CATEGORY;

/// The report an alert goes to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// The `PolicyReport` of this namespace.
    Namespace(String),
    /// The `ClusterPolicyReport`.
    Cluster,
}

/// True for the sources falcosidekick reports (`syscall`, `syscalls`, `k8saudit`), and
/// `k8s_audit`, the source name Falco's k8saudit plugin gives its alerts.
pub fn is_reported_source(source: &str) -> bool {
    matches!(source, "syscall" | "syscalls" | "k8saudit" | "k8s_audit")
}

/// A namespace name as Kubernetes allows it (an RFC 1123 label).
fn is_namespace(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// `Some(Scope::Namespace)` when `name` is a namespace name.
pub(crate) fn scope_of_namespace(name: &str) -> Option<Scope> {
    is_namespace(name).then(|| Scope::Namespace(name.to_owned()))
}

/// A string output field that names something: not empty, not Falco's `<NA>`.
fn named<'a>(alert: &'a Alert, key: &str) -> Option<&'a str> {
    alert
        .field_str(key)
        .map(str::trim)
        .filter(|v| !v.is_empty() && *v != "<NA>")
}

/// The alert's report: the namespace of `ka.target.namespace` (k8s audit alerts) or
/// `k8s.ns.name`, when it is a namespace name; the cluster report otherwise.
pub fn scope_of(alert: &Alert) -> Scope {
    let keys = if alert.source.contains("audit") {
        ["ka.target.namespace", "k8s.ns.name"]
    } else {
        ["k8s.ns.name", "ka.target.namespace"]
    };
    keys.iter()
        .find_map(|k| named(alert, k))
        .and_then(scope_of_namespace)
        .unwrap_or(Scope::Cluster)
}

/// `info` (≤ Informational), `low` (Notice), `medium` (Warning), `high` (Error), `critical`
/// (≥ Critical), as falcosidekick maps them.
pub fn severity(priority: Priority) -> &'static str {
    match priority {
        Priority::Debug | Priority::Informational => "info",
        Priority::Notice => "low",
        Priority::Warning => "medium",
        Priority::Error => "high",
        Priority::Critical | Priority::Alert | Priority::Emergency => "critical",
    }
}

/// `skip` (≤ Notice), `warn` (Warning), `fail` (≥ Error), as falcosidekick maps them.
pub fn outcome(priority: Priority) -> &'static str {
    match priority {
        Priority::Debug | Priority::Informational | Priority::Notice => "skip",
        Priority::Warning => "warn",
        _ => "fail",
    }
}

/// `apiVersion` and `kind` of the resources k8s audit rules name (`ka.target.resource`).
fn resource_kind(resource: &str) -> (Option<&'static str>, String) {
    let known = match resource {
        "pods" => Some(("v1", "Pod")),
        "services" => Some(("v1", "Service")),
        "secrets" => Some(("v1", "Secret")),
        "configmaps" => Some(("v1", "ConfigMap")),
        "namespaces" => Some(("v1", "Namespace")),
        "serviceaccounts" => Some(("v1", "ServiceAccount")),
        "daemonsets" => Some(("apps/v1", "DaemonSet")),
        "deployments" => Some(("apps/v1", "Deployment")),
        "cronjobs" => Some(("batch/v1", "CronJob")),
        "jobs" => Some(("batch/v1", "Job")),
        "clusterroles" => Some(("rbac.authorization.k8s.io/v1", "ClusterRole")),
        "clusterrolebindings" => Some(("rbac.authorization.k8s.io/v1", "ClusterRoleBinding")),
        "roles" => Some(("rbac.authorization.k8s.io/v1", "Role")),
        "rolebindings" => Some(("rbac.authorization.k8s.io/v1", "RoleBinding")),
        _ => None,
    };
    match known {
        Some((version, kind)) => (Some(version), kind.to_owned()),
        None => (None, resource.to_owned()),
    }
}

/// The object the alert is about: the audited object (`ka.target.name`, else `ka.resp.name`,
/// of kind `ka.target.resource`), or the pod (`k8s.pod.name`).
fn resources(alert: &Alert, scope: &Scope) -> Vec<Value> {
    let mut reference = Map::new();
    if let Some(name) = named(alert, "ka.target.name").or_else(|| named(alert, "ka.resp.name")) {
        if let Some(resource) = named(alert, "ka.target.resource") {
            let (version, kind) = resource_kind(resource);
            if let Some(version) = version {
                reference.insert("apiVersion".into(), version.into());
            }
            reference.insert("kind".into(), kind.into());
        }
        reference.insert("name".into(), name.into());
    } else if let Some(pod) = named(alert, "k8s.pod.name") {
        reference.insert("apiVersion".into(), "v1".into());
        reference.insert("kind".into(), "Pod".into());
        reference.insert("name".into(), pod.into());
    } else {
        return Vec::new();
    }
    if let Scope::Namespace(ns) = scope {
        reference.insert("namespace".into(), ns.as_str().into());
    }
    vec![Value::Object(reference)]
}

/// The result `alert` adds to its report: policy and rule (the rule's name), category
/// `SI - System and Information Integrity`, source `Falco`, severity and result from the
/// priority, the alert's time, the output as message, the output fields as string
/// properties, and the object it is about.
pub fn result_of(alert: &Alert, scope: &Scope) -> Value {
    let properties: Map<String, Value> = alert
        .output_fields
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                Value::String(falconer_event::go_value(v, "<nil>")),
            )
        })
        .collect();
    let mut result = json!({
        "source": "Falco",
        "policy": alert.rule,
        "rule": alert.rule,
        "category": CATEGORY,
        "severity": severity(alert.priority),
        "timestamp": {
            "seconds": alert.time.timestamp(),
            "nanos": alert.time.timestamp_subsec_nanos(),
        },
        "result": outcome(alert.priority),
        "message": alert.output,
        "properties": properties,
    });
    let resources = resources(alert, scope);
    if !resources.is_empty() {
        result["resources"] = Value::Array(resources);
    }
    result
}
