//! Conformance with falcosidekick's own tests: for every chat kind that falcosidekick tests
//! (`outputs/<kind>_test.go`), its input alert (`falcoTestInput`) and config through
//! Falconer's encoder give the payload that test expects.
//!
//! The expected payloads are transcribed in `tests/fixtures/conformance/<kind>.json`, each
//! with the falcosidekick file, test and commit it comes from and the config both sides use.
//! Falcosidekick's tests compare Go structs; a fixture's `expected` is that struct as
//! `encoding/json` writes it, compared here with Falconer's body as JSON values. A fixture
//! with a `differs` field documents a deliberate difference: the test then asserts Falconer's
//! own payload (`falconer`) and that it does differ from falcosidekick's.

use falconer_core::Alert;
use serde_json::Value;

/// Where the conformance fixtures are.
const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/conformance");

/// The kinds with a falcosidekick test, hence a fixture.
const KINDS: &[&str] = &[
    "cliq",
    "discord",
    "googlechat",
    "mattermost",
    "rocketchat",
    "slack",
    "teams",
    "telegram",
];

/// The fixture of `kind`, checked to say where it comes from.
fn fixture(kind: &str) -> Value {
    falconer_http::conformance::fixture(DIR, kind, &["file", "test", "commit"], "expected")
}

/// falcosidekick's test input, decoded as Falconer's ingest decodes it. Like falcosidekick's
/// tests (`json.Unmarshal` into `types.FalcoPayload`, then `newXPayload`), it skips ingest's
/// enrichment, which in both marks an alert of rule `Test rule` as source `internal`.
fn input(f: &Value) -> Alert {
    let text = f["falcosidekick"]["input"]["text"]
        .as_str()
        .expect("the input alert");
    Alert::decode(text.as_bytes()).expect("falcosidekick's input decodes")
}

/// The Falconer config of the fixture's kind.
fn config<T: serde::de::DeserializeOwned>(f: &Value) -> T {
    serde_json::from_value(f["config"].clone()).expect("a valid Falconer config")
}

/// Asserts that `body` is falcosidekick's expected payload, or, where the fixture documents a
/// deliberate difference, Falconer's documented payload and not falcosidekick's.
fn assert_conforms(f: &Value, body: &[u8]) {
    let got: Value = serde_json::from_slice(body).expect("a JSON body");
    let kind = f["kind"].as_str().expect("kind");
    let file = f["falcosidekick"]["file"].as_str().expect("file");
    falconer_http::conformance::assert_payload(
        kind,
        file,
        &got,
        &f["expected"],
        f.get("differs"),
        &f["falconer"],
    );
}

#[test]
fn every_fixture_is_checked() {
    falconer_http::conformance::assert_every_fixture_checked(DIR, KINDS);
}

#[cfg(feature = "slack")]
#[test]
fn slack() {
    let f = fixture("slack");
    let c: falconer_outputs_chat::slack::SlackConfig = config(&f);
    let body = crate::encoded_body(&c.encoder().expect("encoder"), &input(&f));
    assert_conforms(&f, &body);
}

#[cfg(feature = "rocketchat")]
#[test]
fn rocketchat() {
    let f = fixture("rocketchat");
    let c: falconer_outputs_chat::rocketchat::RocketchatConfig = config(&f);
    let body = crate::encoded_body(&c.encoder().expect("encoder"), &input(&f));
    assert_conforms(&f, &body);
}

#[cfg(feature = "mattermost")]
#[test]
fn mattermost() {
    let f = fixture("mattermost");
    let c: falconer_outputs_chat::mattermost::MattermostConfig = config(&f);
    let body = crate::encoded_body(&c.encoder().expect("encoder"), &input(&f));
    assert_conforms(&f, &body);
}

#[cfg(feature = "discord")]
#[test]
fn discord() {
    let f = fixture("discord");
    let c: falconer_outputs_chat::discord::DiscordConfig = config(&f);
    let body = crate::encoded_body(&c.encoder(), &input(&f));
    assert_conforms(&f, &body);
}

#[cfg(feature = "googlechat")]
#[test]
fn googlechat() {
    let f = fixture("googlechat");
    let c: falconer_outputs_chat::googlechat::GooglechatConfig = config(&f);
    let body = crate::encoded_body(&c.encoder().expect("encoder"), &input(&f));
    assert_conforms(&f, &body);
}

#[cfg(feature = "telegram")]
#[test]
fn telegram() {
    let f = fixture("telegram");
    let c: falconer_outputs_chat::telegram::TelegramConfig = config(&f);
    let body = crate::encoded_body(&c.encoder(), &input(&f));
    assert_conforms(&f, &body);
}

#[cfg(feature = "cliq")]
#[test]
fn cliq() {
    let f = fixture("cliq");
    let c: falconer_outputs_chat::cliq::CliqConfig = config(&f);
    let body = crate::encoded_body(&c.encoder().expect("encoder"), &input(&f));
    assert_conforms(&f, &body);
}

#[cfg(feature = "teams")]
#[test]
fn teams() {
    let f = fixture("teams");
    let c: falconer_outputs_chat::teams::TeamsConfig = config(&f);
    let body = crate::encoded_body(&c.encoder(), &input(&f));
    assert_conforms(&f, &body);
}
