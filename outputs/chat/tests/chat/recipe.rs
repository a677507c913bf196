//! The recipe of `docs/contributing.md` holds for every kind this family registers.

/// None: every kind of this family has golden files.
const PAYLOAD_AS_IS: &[&str] = &[];

#[test]
fn every_kind_has_its_features_a_golden_payload_and_a_readme_row() {
    let mut registry = falconer_core::Registry::default();
    falconer_outputs_chat::register(&mut registry);
    falconer_http::recipe::Family {
        dir: env!("CARGO_MANIFEST_DIR"),
        payload_as_is: PAYLOAD_AS_IS,
    }
    .assert_complete(&registry);
}

#[cfg(feature = "slack")]
#[test]
fn a_kind_without_them_is_named_with_each_missing_piece() {
    let mut registry = falconer_core::Registry::default();
    let mut pigeon = falconer_outputs_chat::slack::KIND;
    pigeon.name = "pigeon";
    registry.insert(pigeon);
    let mut hook = falconer_outputs_chat::slack::KIND;
    hook.name = "webhook";
    registry.insert(hook);
    let missing = falconer_http::recipe::Family {
        dir: env!("CARGO_MANIFEST_DIR"),
        payload_as_is: &["carrier"],
    }
    .missing(&registry);
    assert_eq!(
        missing,
        [
            "pigeon: no `pigeon` feature in chat/Cargo.toml",
            "pigeon: not in chat's default features",
            "pigeon: no `output-pigeon = [\"family-chat\", \"falconer-outputs-chat/pigeon\"]` \
             in crates/falconer/Cargo.toml",
            "pigeon: no row in the README's output table",
            "webhook: no `webhook` feature in chat/Cargo.toml",
            "webhook: not in chat's default features",
            "webhook: no `output-webhook = [\"family-chat\", \"falconer-outputs-chat/webhook\"]` \
             in crates/falconer/Cargo.toml",
            "webhook: no golden payload in chat/tests/fixtures/webhook/",
            "carrier: listed as payload as is, but not registered",
        ]
    );
}
