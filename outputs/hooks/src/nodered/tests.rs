//! Keys, authentication and validation.

use falconer_http::contract::assert_rejected;
use serde_json::json;

use super::{NoderedConfig, KIND};

#[test]
fn basic_auth_needs_both_user_and_password() {
    let c: NoderedConfig = serde_json::from_value(
        json!({"address": "http://nodered:1880/falco", "user": "admin", "password": "s3cr3t"}),
    )
    .expect("config");
    assert_eq!(c.options().headers[0].1, "Basic YWRtaW46czNjcjN0");
    assert!(!format!("{c:?}").contains("s3cr3t"));
    let c: NoderedConfig =
        serde_json::from_value(json!({"address": "http://nodered:1880/falco", "user": "admin"}))
            .expect("config");
    assert!(c.options().headers.is_empty());
}

#[test]
fn every_problem_is_reported_with_its_path() {
    assert_rejected(
        KIND,
        "nodered",
        json!({"address": "nodered:1880", "customheaders": {"Bad Header": "x"}}),
        &["address", "customheaders.Bad Header"],
    );
}
