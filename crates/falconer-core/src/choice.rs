//! Config keys that take one of a fixed set of values (`format: text|json`), read once.
//!
//! A [`Choice`] is parsed when the config is deserialized; a value that is none of the
//! choices is kept as written and reported by [`Choice::check`] from the kind's `validate`,
//! next to the block's other problems (a deserialization error would stop at the first one).
//! `build` and `send` then use the typed value and never parse the string again.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// The values a [`Choice`] may take.
pub trait Choices: Copy + Sized {
    /// The value `raw` spells (each kind decides on case, blanks and the empty string), if
    /// any.
    fn parse(raw: &str) -> Option<Self>;

    /// What is wrong with `raw`, a value that is none of the choices
    /// (`"xml" is not text or json`).
    fn problem(raw: &str) -> String;
}

/// A key with a fixed set of values: the value as written, parsed once. `Debug` shows the
/// value as written.
#[derive(Clone, PartialEq, Eq)]
pub struct Choice<T> {
    raw: String,
    value: Option<T>,
}

impl<T: Choices> Choice<T> {
    /// `raw`, parsed.
    pub fn new(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        let value = T::parse(&raw);
        Choice { raw, value }
    }

    /// The value; `None` when the key holds none of the choices (`validate` reports it).
    pub fn value(&self) -> Option<T> {
        self.value
    }

    /// The value as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Pushes the problem of `key` when it holds none of the choices.
    pub fn check(&self, key: &str, problems: &mut crate::Problems) {
        if self.value.is_none() {
            problems.push(key, T::problem(&self.raw));
        }
    }
}

impl<T: Choices + Default> Choice<T> {
    /// The value, or the default for a value `validate` refused.
    pub fn get(&self) -> T {
        self.value.unwrap_or_default()
    }
}

impl<T: Choices> Default for Choice<T> {
    /// The empty string, as a missing key with `#[serde(default)]` was read before.
    fn default() -> Self {
        Choice::new(String::new())
    }
}

impl<T: Choices> From<&str> for Choice<T> {
    fn from(raw: &str) -> Self {
        Choice::new(raw)
    }
}

impl<T: Choices> From<String> for Choice<T> {
    fn from(raw: String) -> Self {
        Choice::new(raw)
    }
}

/// Compares the value as written.
impl<T> PartialEq<&str> for Choice<T> {
    fn eq(&self, other: &&str) -> bool {
        self.raw == *other
    }
}

impl<T> fmt::Debug for Choice<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.raw, f)
    }
}

impl<'de, T: Choices> Deserialize<'de> for Choice<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Choice::new)
    }
}

/// Parses a case-insensitive, blank-trimmed value among `names` (the empty string is the
/// first), returning its index; for [`Choices::parse`] of keys listed as "one of".
pub fn choice_index(raw: &str, names: &[&str]) -> Option<usize> {
    let v = raw.trim().to_ascii_lowercase();
    if v.is_empty() {
        return Some(0);
    }
    names.iter().position(|n| *n == v)
}

/// `"<raw>" is not one of a, b, c`: the problem of a value outside `names`.
pub fn not_one_of(raw: &str, names: &[&str]) -> String {
    format!("{raw:?} is not one of {}", names.join(", "))
}

/// Declares an enum of values spelled `"a"`, `"b"`, … and its [`Choices`]: case-insensitive,
/// blanks trimmed, the empty string is the first (the default), and any other value is
/// reported as `"x" is not one of a, b, c`.
///
/// ```
/// falconer_core::one_of! {
///     /// What a card shows.
///     pub enum Shown {
///         /// Text and facts.
///         All = "all",
///         /// Text only.
///         Text = "text",
///     }
/// }
///
/// let shown = falconer_core::Choice::<Shown>::new(" TEXT");
/// assert_eq!(shown.value(), Some(Shown::Text));
/// assert_eq!(Shown::default(), Shown::All);
/// assert_eq!(Shown::NAMES, ["all", "text"]);
/// ```
#[macro_export]
macro_rules! one_of {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(#[$first_meta:meta])* $first:ident = $first_name:literal
            $(, $(#[$vmeta:meta])* $variant:ident = $variant_name:literal)* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        $vis enum $name {
            $(#[$first_meta])*
            #[default]
            $first,
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// The accepted values, in declaration order (the empty string means the first).
            pub const NAMES: &'static [&'static str] = &[$first_name $(, $variant_name)*];
            const VALUES: &'static [$name] = &[$name::$first $(, $name::$variant)*];
        }

        impl $crate::Choices for $name {
            fn parse(raw: &str) -> ::std::option::Option<Self> {
                $crate::choice_index(raw, Self::NAMES).map(|i| Self::VALUES[i])
            }

            fn problem(raw: &str) -> ::std::string::String {
                $crate::not_one_of(raw, Self::NAMES)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    enum Line {
        #[default]
        Text,
        Json,
    }

    impl Choices for Line {
        fn parse(raw: &str) -> Option<Self> {
            match raw.to_ascii_lowercase().as_str() {
                "" | "text" => Some(Line::Text),
                "json" => Some(Line::Json),
                _ => None,
            }
        }

        fn problem(raw: &str) -> String {
            format!("{raw:?} is not text or json")
        }
    }

    #[test]
    fn a_choice_is_parsed_once_and_an_invalid_one_is_reported_by_check() {
        let json: Choice<Line> = falconer_config::from_value(serde_json::json!("JSON")).unwrap();
        assert_eq!((json.value(), json.as_str()), (Some(Line::Json), "JSON"));
        let xml = Choice::<Line>::new("xml");
        let mut problems = crate::Problems::default();
        json.check("format", &mut problems);
        xml.check("format", &mut problems);
        assert_eq!(
            problems.0,
            [falconer_config::ConfigError::new(
                "format",
                "\"xml\" is not text or json"
            )]
        );
        assert_eq!(xml.get(), Line::Text);
        assert_eq!(format!("{xml:?}"), "\"xml\"");
        let number: Choice<Line> = falconer_config::from_value(serde_json::json!(1)).unwrap();
        assert_eq!(number.as_str(), "1");
    }

    #[test]
    fn one_of_lists() {
        let names = ["all", "text", "fields"];
        assert_eq!(choice_index(" Text ", &names), Some(1));
        assert_eq!(choice_index("", &names), Some(0));
        assert_eq!(choice_index("facts", &names), None);
        assert_eq!(
            not_one_of("facts", &names),
            "\"facts\" is not one of all, text, fields"
        );
    }
}
