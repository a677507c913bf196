//! The recipe of `docs/contributing.md` holds for every kind this family registers.

/// Kinds that post the alert's payload JSON unchanged: their tests compare what they sent
/// with the payload bytes. CloudEvents has golden files (its headers carry the event).
const PAYLOAD_AS_IS: &[&str] = &[
    #[cfg(feature = "talon")]
    "talon",
    #[cfg(feature = "n8n")]
    "n8n",
    #[cfg(feature = "nodered")]
    "nodered",
    #[cfg(feature = "tekton")]
    "tekton",
    #[cfg(feature = "openfaas")]
    "openfaas",
    #[cfg(feature = "fission")]
    "fission",
    #[cfg(feature = "kubeless")]
    "kubeless",
];

#[test]
fn every_kind_has_its_features_a_golden_payload_and_a_readme_row() {
    let mut registry = falconer_core::Registry::default();
    falconer_outputs_hooks::register(&mut registry);
    falconer_http::recipe::Family {
        dir: env!("CARGO_MANIFEST_DIR"),
        payload_as_is: PAYLOAD_AS_IS,
    }
    .assert_complete(&registry);
}
