//! Rule-file errors: each names the file, the line of the item, the item and what is wrong.

use std::fmt;
use std::sync::Arc;

/// Where an item of a rules file starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Loc {
    pub file: Arc<str>,
    /// 1-based line of the item's `-`, when the file is in block style.
    pub line: Option<usize>,
    /// 0-based index of the item in the file.
    pub index: usize,
}

/// One problem in a rules file.
///
/// Displays as `FILE:LINE: rule "NAME": MESSAGE`; a condition's message holds the column in
/// the condition, e.g. `condition: column 12: expected a value, found end of input`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// The file (its path, or `<embedded>` for Falconer's own rules).
    pub file: String,
    /// The 1-based line of the item (or of the YAML error).
    pub line: Option<usize>,
    /// The item: `rule "Name"`, `macro "name"`, `list "name"`, or `item 3` when unnamed.
    pub item: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl LoadError {
    pub(crate) fn at(loc: &Loc, item: Option<String>, message: impl Into<String>) -> LoadError {
        LoadError {
            file: loc.file.to_string(),
            line: loc.line,
            item: item.or_else(|| Some(format!("item {}", loc.index + 1))),
            message: message.into(),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        if let Some(item) = &self.item {
            write!(f, "{item}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem found in a set of rules files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// The 1-based lines where the top-level items of a block-style YAML list start.
pub(crate) fn item_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let mut chars = line.chars();
            chars.next() == Some('-') && chars.next().is_none_or(|c| c == ' ' || c == '\t')
        })
        .map(|(i, _)| i + 1)
        .collect()
}
