//! The recipe of `docs/contributing.md` holds for every kind this family registers.

/// Kinds sent as the alert's payload JSON unchanged, so with no golden file of their own:
/// every bus kind publishes it as is, and its tests compare what the broker received with
/// the alert's payload bytes.
const PAYLOAD_AS_IS: &[&str] = &["nats", "redis", "kafka", "mqtt", "rabbitmq"];

#[test]
fn every_kind_has_its_features_a_golden_payload_and_a_readme_row() {
    let mut registry = falconer_core::Registry::default();
    falconer_outputs_bus::register(&mut registry);
    falconer_http::recipe::Family {
        dir: env!("CARGO_MANIFEST_DIR"),
        payload_as_is: PAYLOAD_AS_IS,
    }
    .assert_complete(&registry);
}
