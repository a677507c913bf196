//! The checks of the "adding an output" recipe (`docs/contributing.md`), run by each family
//! crate's tests: every kind its `register` adds has its own Cargo feature (on by default)
//! and the binary's `output-<kind>` feature, a golden payload, and a row in the README's
//! output table.

use std::path::{Path, PathBuf};

use falconer_core::Registry;

/// What a family crate declares about its kinds.
#[derive(Debug, Clone, Copy)]
pub struct Family<'a> {
    /// The crate's folder (`env!("CARGO_MANIFEST_DIR")`): `outputs/<family>`.
    pub dir: &'a str,
    /// Kinds whose message is the alert's payload JSON unchanged, which their own tests
    /// compare with the payload byte for byte (the README row must say "payload JSON"); every
    /// other kind needs golden files in `tests/fixtures/<kind>/`.
    pub payload_as_is: &'a [&'a str],
}

impl Family<'_> {
    fn root(&self) -> PathBuf {
        Path::new(self.dir).join("../..")
    }

    fn name(&self) -> &str {
        Path::new(self.dir)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    }

    /// Every missing piece of every kind in `registry`, as one line each.
    pub fn missing(&self, registry: &Registry) -> Vec<String> {
        let read = |path: PathBuf| std::fs::read_to_string(&path).unwrap_or_default();
        let manifest = read(Path::new(self.dir).join("Cargo.toml"));
        let binary = read(self.root().join("crates/falconer/Cargo.toml"));
        let readme = read(self.root().join("README.md"));
        let family = self.name();
        let mut missing = Vec::new();
        for kind in registry.kinds().iter().map(|k| k.name) {
            if !manifest
                .lines()
                .any(|l| l.starts_with(&format!("{kind} = [")))
            {
                missing.push(format!(
                    "{kind}: no `{kind}` feature in {family}/Cargo.toml"
                ));
            }
            let default = manifest
                .split("default = [")
                .nth(1)
                .and_then(|rest| rest.split(']').next())
                .unwrap_or_default();
            if !default.contains(&format!("\"{kind}\"")) {
                missing.push(format!("{kind}: not in {family}'s default features"));
            }
            let line = format!(
                "output-{kind} = [\"family-{family}\", \"falconer-outputs-{family}/{kind}\"]"
            );
            if !binary.lines().any(|l| l.trim() == line) {
                missing.push(format!("{kind}: no `{line}` in crates/falconer/Cargo.toml"));
            }
            let row = readme
                .lines()
                .find(|l| l.starts_with(&format!("| `{kind}` |")));
            match row {
                None => missing.push(format!("{kind}: no row in the README's output table")),
                Some(row) if self.payload_as_is.contains(&kind) => {
                    if !row.contains("payload JSON") {
                        missing.push(format!(
                            "{kind}: sends the payload as is, but its README row does not say \
                             \"payload JSON\""
                        ));
                    }
                }
                Some(_) => {
                    let fixtures = Path::new(self.dir).join("tests/fixtures").join(kind);
                    let files = std::fs::read_dir(&fixtures).map_or(0, |d| d.count());
                    if files == 0 {
                        missing.push(format!(
                            "{kind}: no golden payload in {family}/tests/fixtures/{kind}/"
                        ));
                    }
                }
            }
        }
        for kind in self.payload_as_is {
            if registry.get(kind).is_none() {
                missing.push(format!(
                    "{kind}: listed as payload as is, but not registered"
                ));
            }
        }
        missing
    }

    /// Panics with every missing piece of every kind in `registry`.
    pub fn assert_complete(&self, registry: &Registry) {
        let missing = self.missing(registry);
        assert!(
            missing.is_empty(),
            "kinds of outputs/{} missing pieces of the recipe in docs/contributing.md:\n{}",
            self.name(),
            missing.join("\n")
        );
    }
}
