//! The report object, pure (no I/O): a new report, and results merged into an existing one
//! (trimmed to `maxevents`, summary recomputed).

use serde_json::{json, Map, Value};

use super::encode::Scope;

/// The `PolicyReport` of a namespace.
pub const REPORT: &str = "falco-policy-report";
/// The `ClusterPolicyReport`.
pub const CLUSTER_REPORT: &str = "falco-cluster-policy-report";
/// The value of the label `app.kubernetes.io/created-by` (falcosidekick writes its own name).
pub const CREATED_BY: &str = "falconer";
/// The category of every result.
pub const CATEGORY: &str = "SI - System and Information Integrity";
/// The outcomes a summary counts.
const OUTCOMES: [&str; 5] = ["pass", "fail", "warn", "error", "skip"];

/// How a report is kept to its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trim {
    /// Results kept at most (`maxevents`).
    pub max: usize,
    /// `prunebypriority`: drop the oldest result of severity info, low or medium first.
    pub by_priority: bool,
}

/// A new report holding `results` (trimmed) and their summary, without the
/// `apiVersion`, `kind` and `metadata` the client adds: the report's data.
pub fn new_report(results: &[Value], trim: Trim) -> Map<String, Value> {
    let mut data = Map::new();
    merge(&mut data, results, trim);
    data
}

/// The labels of a report Falconer creates.
pub fn labels() -> std::collections::BTreeMap<String, String> {
    [(
        "app.kubernetes.io/created-by".to_owned(),
        CREATED_BY.to_owned(),
    )]
    .into()
}

/// The name of the report of `scope`.
pub fn name_of(scope: &Scope) -> &'static str {
    match scope {
        Scope::Namespace(_) => REPORT,
        Scope::Cluster => CLUSTER_REPORT,
    }
}

/// Appends `results` to the report data `data` (a result already there, same time, policy
/// and message, is not added twice: a retried delivery), trims to `trim` and recomputes the
/// summary. Results of other writers and other fields are kept.
pub fn merge(data: &mut Map<String, Value>, results: &[Value], trim: Trim) {
    let mut list = match data.remove("results") {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    for result in results {
        if list.iter().any(|r| same(r, result)) {
            continue;
        }
        while !list.is_empty() && list.len() >= trim.max.max(1) {
            let at = if trim.by_priority {
                list.iter().position(is_low).unwrap_or(0)
            } else {
                0
            };
            list.remove(at);
        }
        list.push(result.clone());
    }
    data.insert("summary".into(), summary(&list));
    data.insert("results".into(), Value::Array(list));
}

/// Results of severity info, low or medium (falcosidekick's `checklow`).
fn is_low(result: &Value) -> bool {
    matches!(
        result.get("severity").and_then(Value::as_str),
        Some("info" | "low" | "medium")
    )
}

fn same(a: &Value, b: &Value) -> bool {
    ["timestamp", "policy", "message"]
        .iter()
        .all(|k| a.get(k) == b.get(k))
}

/// The count of each outcome (`pass`, `fail`, `warn`, `error`, `skip`) in `results`.
pub fn summary(results: &[Value]) -> Value {
    let mut counts = [0u64; 5];
    for r in results {
        let outcome = r.get("result").and_then(Value::as_str).unwrap_or_default();
        if let Some(i) = OUTCOMES.iter().position(|o| *o == outcome) {
            counts[i] += 1;
        }
    }
    json!({
        "pass": counts[0],
        "fail": counts[1],
        "warn": counts[2],
        "error": counts[3],
        "skip": counts[4],
    })
}
