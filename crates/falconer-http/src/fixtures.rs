//! Golden files: encoders' bodies compared with `tests/fixtures/<name>` byte for byte.

use std::path::Path;

/// Compares `got` with the file `name` of `dir` (the crate's `tests/fixtures`);
/// `UPDATE_GOLDEN=1` rewrites the file first.
pub fn assert_golden(dir: impl AsRef<Path>, name: &str, got: impl AsRef<[u8]>) {
    let path = dir.as_ref().join(name);
    let got = got.as_ref();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).expect("write golden");
    }
    let want = std::fs::read_to_string(&path).expect("golden file");
    assert_eq!(String::from_utf8_lossy(got), want, "{name}");
}
