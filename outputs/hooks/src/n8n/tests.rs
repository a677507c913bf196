//! Keys, authentication headers and validation.

use falconer_http::contract::assert_rejected;
use serde_json::json;

use super::{N8nConfig, KIND};

fn config(v: serde_json::Value) -> N8nConfig {
    serde_json::from_value(v).expect("config")
}

#[test]
fn auth_is_sent_only_when_both_keys_of_a_pair_are_set() {
    let c = config(
        json!({"address": "http://n8n/webhook/x", "user": "falco", "password": "pw",
                          "headerauthname": "X-Auth", "headerauthvalue": "t0k"}),
    );
    let headers = c.options().headers;
    assert_eq!(
        headers,
        [
            ("authorization".to_owned(), "Basic ZmFsY286cHc=".to_owned()),
            ("X-Auth".to_owned(), "t0k".to_owned())
        ]
    );
    let debug = format!("{c:?}");
    assert!(
        !debug.contains("t0k") && !debug.contains("\"pw\""),
        "{debug}"
    );
    let half =
        config(json!({"address": "http://n8n/", "user": "falco", "headerauthname": "X-Auth"}));
    assert!(half.options().headers.is_empty());
    assert!(half.tls.checkcert && !half.tls.mutualtls);
}

#[test]
fn every_problem_is_reported_with_its_path() {
    assert_rejected(
        KIND,
        "n8n",
        json!({"address": "", "headerauthname": "Bad Header", "headerauthvalue": "a\nb"}),
        &["address", "headerauthname", "headerauthvalue"],
    );
}
