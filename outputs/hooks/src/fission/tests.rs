//! URLs, defaults and validation.

use falconer_http::contract::assert_rejected;
use serde_json::json;

use super::{FissionConfig, KIND};

fn config(v: serde_json::Value) -> FissionConfig {
    serde_json::from_value(v).expect("config")
}

#[test]
fn the_url_is_falcosidekicks_router_url() {
    let c = config(json!({"function": "falco-fn"}));
    assert_eq!(
        c.url(),
        "http://router.fission.svc.cluster.local:80/fission-function/falco-fn"
    );
    assert_eq!(c.functionnamespace, "fission-function");
    let c = config(
        json!({"function": "f", "routerservice": "r", "routernamespace": "ns",
                          "routerport": 8888}),
    );
    assert_eq!(
        c.url(),
        "http://r.ns.svc.cluster.local:8888/fission-function/f"
    );
    let c = config(json!({"function": "f", "hostport": "http://127.0.0.1:9000"}));
    assert_eq!(c.url(), "http://127.0.0.1:9000/fission-function/f");
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let text = assert_rejected(
        KIND,
        "fission",
        json!({"function": "f n", "routerport": 0, "kubeconfig": "/kube/config", "hostport": "nope"}),
        &["function", "routerport", "kubeconfig", "hostport"],
    );
    assert!(text.contains("Kubernetes API service proxy"), "{text}");
}
