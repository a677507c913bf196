//! A recording sink as the Kubernetes API server: a kubeconfig pointing at it, its answers
//! (objects and `Status` errors), and the golden files of what is written.

use std::path::PathBuf;

use falconer_testkit::{RecordedRequest, RecordingSink, Reply};
use serde_json::{json, Map, Value};

/// The bearer token of the kubeconfig.
pub const TOKEN: &str = "falconer-test-token";
/// The reports' API.
pub const API: &str = "/apis/wgpolicyk8s.io/v1alpha2";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// A kubeconfig file naming `sink` as the cluster with a bearer token (removed on drop).
pub struct KubeconfigFile {
    dir: tempfile::TempDir,
}

impl KubeconfigFile {
    /// Writes it.
    pub fn new(sink: &RecordingSink) -> Self {
        let dir = tempfile::tempdir().expect("test setup");
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\n\
             users:\n- name: falconer\n  user:\n    token: {TOKEN}\ncontexts:\n- name: fake\n  \
             context:\n    cluster: fake\n    user: falconer\n    namespace: falco\n\
             current-context: fake\n",
            sink.url("")
        );
        std::fs::write(dir.path().join("config"), text).expect("test setup");
        KubeconfigFile { dir }
    }

    /// Its path.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("config")
    }
}

/// A `Status` error answer as the API server writes it.
pub fn status(code: u16, reason: &str, message: &str) -> Reply {
    Reply::status(code)
        .header("content-type", "application/json")
        .body(
            &json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": message, "reason": reason, "code": code,
            })
            .to_string(),
        )
}

/// The 404 of a report that does not exist.
pub fn not_found(name: &str) -> Reply {
    status(
        404,
        "NotFound",
        &format!("policyreports.wgpolicyk8s.io \"{name}\" not found"),
    )
}

/// The 409 of a replace with an old `resourceVersion`.
pub fn conflict(name: &str) -> Reply {
    status(
        409,
        "Conflict",
        &format!(
            "Operation cannot be fulfilled on policyreports.wgpolicyk8s.io \"{name}\": the \
             object has been modified; please apply your changes to the latest version and try again"
        ),
    )
}

/// A 200 (or 201) carrying `object`.
pub fn object(code: u16, object: &Value) -> Reply {
    Reply::status(code)
        .header("content-type", "application/json")
        .body(&object.to_string())
}

/// An existing namespaced report at `resource_version` with `results`.
pub fn report(namespace: &str, resource_version: &str, results: Vec<Value>) -> Value {
    json!({
        "apiVersion": "wgpolicyk8s.io/v1alpha2",
        "kind": "PolicyReport",
        "metadata": {
            "name": "falco-policy-report",
            "namespace": namespace,
            "resourceVersion": resource_version,
            "uid": "5d0c5bb6-0c5e-4c1b-9a55-d2a7c1f0a001",
            "labels": {"app.kubernetes.io/created-by": "falconer", "team": "security"},
        },
        "summary": {"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 0},
        "results": results,
    })
}

/// A result written earlier (by Falconer or another writer).
pub fn earlier(policy: &str, severity: &str, result: &str, seconds: i64) -> Value {
    json!({
        "source": "Falco", "policy": policy, "rule": policy,
        "category": "SI - System and Information Integrity", "severity": severity,
        "timestamp": {"seconds": seconds, "nanos": 0}, "result": result,
        "message": format!("{policy} at {seconds}"),
    })
}

/// `value` with the keys of every object sorted: the same text whatever the map order of
/// the `serde_json` build.
pub fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), sorted(&map[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Compares the JSON body of `request` with the golden file `policyreport/<name>` (keys
/// sorted, pretty-printed).
pub fn assert_golden(request: &RecordedRequest, name: &str) {
    let mut text = serde_json::to_string_pretty(&sorted(&request.json())).expect("JSON");
    text.push('\n');
    falconer_http::fixtures::assert_golden(FIXTURES, &format!("policyreport/{name}"), text);
}

/// Checks `request`: `method` on `path`, the kubeconfig's token, a JSON body for writes.
pub fn assert_call(request: &RecordedRequest, method: &str, path: &str) {
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        (method, path),
        "{request:?}"
    );
    assert!(
        request.query.as_deref().unwrap_or_default().is_empty(),
        "no query: {:?}",
        request.query
    );
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    if method != "GET" {
        assert_eq!(request.header("content-type"), Some("application/json"));
    }
}
