//! Keys, defaults and validation.

use falconer_http::contract::assert_rejected;
use serde_json::json;

use super::{TektonConfig, KIND};

#[test]
fn keys_and_defaults_are_falcosidekicks() {
    let c: TektonConfig =
        serde_json::from_value(json!({"eventlistener": "http://el:8080"})).expect("config");
    assert!(c.tls.checkcert && !c.tls.mutualtls);
    assert_eq!(
        falconer_config::fields_of::<TektonConfig>(),
        ["eventlistener", "checkcert", "mutualtls"]
    );
}

#[test]
fn a_bad_event_listener_is_reported_with_its_path() {
    let text = assert_rejected(
        KIND,
        "tekton",
        json!({"eventlistener": "el:8080"}),
        &["eventlistener"],
    );
    assert!(text.contains("tekton.eventlistener"), "{text}");
}
