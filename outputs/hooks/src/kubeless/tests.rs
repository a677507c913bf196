//! URLs, headers, defaults and validation.

use falconer_http::contract::assert_rejected;
use serde_json::json;

use super::{KubelessConfig, KIND};

fn config(v: serde_json::Value) -> KubelessConfig {
    serde_json::from_value(v).expect("config")
}

#[test]
fn the_url_and_headers_are_falcosidekicks() {
    let c = config(json!({"function": "falco-fn", "namespace": "kubeless"}));
    assert_eq!(c.url(), "http://falco-fn.kubeless.svc.cluster.local:8080/");
    let options = c.options();
    assert_eq!(options.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        options.headers,
        [
            ("event-type".to_owned(), "falco".to_owned()),
            ("event-namespace".to_owned(), "kubeless".to_owned())
        ]
    );
    let c = config(json!({"function": "f", "namespace": "n", "hostport": "http://127.0.0.1:1/"}));
    assert_eq!(c.url(), "http://127.0.0.1:1/");
}

#[test]
fn every_problem_is_reported_with_its_path() {
    assert_rejected(
        KIND,
        "kubeless",
        json!({"function": "f", "namespace": "", "port": 0, "kubeconfig": "/k"}),
        &["namespace", "port", "kubeconfig"],
    );
}
