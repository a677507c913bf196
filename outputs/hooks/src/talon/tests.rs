//! Keys, defaults and validation.

use falconer_http::contract::assert_rejected;
use serde_json::json;

use super::{TalonConfig, KIND};

#[test]
fn keys_and_defaults_are_falcosidekicks() {
    let c: TalonConfig =
        serde_json::from_value(json!({"address": "http://talon:2803"})).expect("config");
    assert_eq!(c.address, "http://talon:2803");
    assert!(c.tls.checkcert && !c.tls.mutualtls);
    assert_eq!(
        falconer_config::fields_of::<TalonConfig>(),
        ["address", "checkcert", "mutualtls"]
    );
}

#[test]
fn a_bad_address_is_reported_with_its_path() {
    let text = assert_rejected(
        KIND,
        "talon",
        json!({"address": "ftp://talon"}),
        &["address"],
    );
    assert!(
        text.contains("scheme \"ftp\" is not http or https"),
        "{text}"
    );
}
