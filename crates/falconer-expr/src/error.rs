//! The one error a condition can fail to parse with.

/// A condition that does not parse (or names an unknown field, an unknown rank, a bad regex…).
///
/// Displays as `column {column}: expected {expected}, found {found}`, e.g.
/// `column 10: expected a value, found end of input`.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[error("column {column}: expected {expected}, found {found}")]
pub struct ParseError {
    /// Where the problem starts: 1-based, counted in characters (not bytes).
    pub column: usize,
    /// What would have been accepted there, e.g. "a value" or "`,` or `)`".
    pub expected: String,
    /// What was there instead: "end of input", or the offending text in backticks.
    pub found: String,
}

impl ParseError {
    /// An error at byte offset `pos` of `source`.
    pub(crate) fn at(
        source: &str,
        pos: usize,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        ParseError {
            column: column_of(source, pos),
            expected: expected.into(),
            found: found.into(),
        }
    }
}

/// The 1-based character column of byte offset `pos` in `source`.
pub(crate) fn column_of(source: &str, pos: usize) -> usize {
    source.get(..pos).map_or(0, |s| s.chars().count()) + 1
}

/// `found` text for an item: `name` in backticks.
pub(crate) fn quoted(text: &str) -> String {
    format!("`{text}`")
}
