//! Conformance with falcosidekick's own tests (`outputs/<kind>_test.go`), shared by the
//! families' `conformance` test modules: a fixture per kind in
//! `tests/fixtures/conformance/<kind>.json` names the falcosidekick file and commit it was
//! transcribed from; its expected payload is compared with Falconer's as JSON values, or,
//! where the fixture gives a reason (`differs`, …), Falconer's own documented payload
//! (`falconer`) is asserted and shown to differ from falcosidekick's.

use serde_json::Value;

/// The fixture of `kind` in `dir`, checked to say where it comes from (`falcosidekick.
/// repository`, and each of `source_keys`) and to hold something to compare (`cases` or
/// `expected`, whichever `content` names).
pub fn fixture(dir: &str, kind: &str, source_keys: &[&str], content: &str) -> Value {
    let path = format!("{dir}/{kind}.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let f: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(f["kind"], kind, "{path}");
    let source = &f["falcosidekick"];
    assert_eq!(
        source["repository"], "falcosecurity/falcosidekick",
        "{path}"
    );
    for key in source_keys {
        assert!(source[key].is_string(), "{path}: falcosidekick.{key}");
    }
    let present = match &f[content] {
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => false,
    };
    assert!(present, "{path}: {content}");
    f
}

/// Asserts that the fixture files in `dir` are exactly those of `kinds`: every fixture has
/// its test.
pub fn assert_every_fixture_checked(dir: &str, kinds: &[&str]) {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("the conformance fixtures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let want: Vec<String> = kinds.iter().map(|k| format!("{k}.json")).collect();
    assert_eq!(files, want);
}

/// Compares Falconer's payload `got` with falcosidekick's `expected`: equal when there is no
/// `reason`; otherwise the reason is a string, `got` differs from `expected` and is exactly
/// `falconer`. `what` names the case in messages (`slack`, `influxdb TestX`), `file` the
/// falcosidekick test file.
pub fn assert_payload(
    what: &str,
    file: &str,
    got: &Value,
    expected: &Value,
    reason: Option<&Value>,
    falconer: &Value,
) {
    match reason {
        None => assert_eq!(
            got, expected,
            "{what}: Falconer's payload is not the one {file} expects"
        ),
        Some(reason) => {
            assert!(reason.is_string(), "{what}: the reason");
            assert_ne!(got, expected, "{what}: documented as differing");
            assert_eq!(got, falconer, "{what}: the documented difference");
        }
    }
}
