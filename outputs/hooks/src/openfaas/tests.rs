//! URLs, defaults and validation.

use falconer_http::contract::assert_rejected;
use serde_json::json;

use super::{OpenfaasConfig, KIND};

fn config(v: serde_json::Value) -> OpenfaasConfig {
    falconer_config::from_value(v).expect("config")
}

#[test]
fn the_url_is_falcosidekicks_gateway_url() {
    let c = config(json!({"functionname": "falco-responder"}));
    assert_eq!(
        c.url(),
        "http://gateway.openfaas:8080/function/falco-responder.openfaas-fn"
    );
    let c = config(
        json!({"functionname": "f", "functionnamespace": "fns", "gatewayservice": "gw",
                          "gatewaynamespace": "faas", "gatewayport": "31112"}),
    );
    assert_eq!(c.url(), "http://gw.faas:31112/function/f.fns");
    let c = config(json!({"functionname": "f", "hostport": "https://faas.example.com/"}));
    assert_eq!(c.url(), "https://faas.example.com/function/f.openfaas-fn");
}

#[test]
fn kubeconfig_is_refused_with_what_to_do_instead() {
    let text = assert_rejected(
        KIND,
        "openfaas",
        json!({"functionname": "f", "kubeconfig": "/root/.kube/config"}),
        &["kubeconfig"],
    );
    assert!(
        text.contains("not supported by Falconer") && text.contains("hostport"),
        "{text}"
    );
}

#[test]
fn every_problem_is_reported_with_its_path() {
    assert_rejected(
        KIND,
        "openfaas",
        json!({"functionname": "a/b", "gatewayservice": "", "gatewayport": 0, "hostport": "ftp://x"}),
        &["functionname", "gatewayservice", "gatewayport", "hostport"],
    );
}
