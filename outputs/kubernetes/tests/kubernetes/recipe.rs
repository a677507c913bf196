//! The recipe of `docs/contributing.md` holds for every kind this family registers.

#[test]
fn every_kind_has_its_features_a_golden_payload_and_a_readme_row() {
    let mut registry = falconer_core::Registry::default();
    falconer_outputs_kubernetes::register(&mut registry);
    falconer_http::recipe::Family {
        dir: env!("CARGO_MANIFEST_DIR"),
        payload_as_is: &[],
    }
    .assert_complete(&registry);
}
