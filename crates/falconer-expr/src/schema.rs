//! What the evaluator reads (records and their field values) and what the parser checks
//! field names and literals against (schemas), plus the hook for Falco macros and lists.

use crate::ast;

/// What a field holds for one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// The record has no such field: every comparison is false, `exists` too.
    Missing,
    /// A string.
    Str(&'a str),
    /// A number.
    Num(f64),
    /// A boolean (compares equal to the literals `true` and `false`, any case).
    Bool(bool),
    /// A ranked value (e.g. a priority), compared by rank; higher = more severe.
    ///
    /// The rank is the index of the value's name in the field's
    /// [`FieldType::Ranked`] `names` (least severe first, from 0): see
    /// [`FieldType::rank_of`].
    Rank(u8),
    /// A list of strings (e.g. an alert's tags). An empty list counts as missing.
    List(&'a [String]),
    /// An owned string, for fields computed on the fly (costs an allocation; avoid on hot paths).
    Owned(String),
}

/// A record the expression is evaluated against (an alert, a Kubernetes audit event, …).
pub trait Fields {
    /// The value of field `name`, with its bracket argument (`ka.uri.param[user]` asks for
    /// `("ka.uri.param", Some("user"))`).
    fn field(&self, name: &str, arg: Option<&str>) -> Value<'_>;
}

/// How field names are checked and how ranked literals are resolved at parse time.
pub trait Schema {
    /// The type of field `name`; `None`: unknown field (a parse error naming it, with its
    /// column). The default accepts every field as [`FieldType::Text`].
    fn field_type(&self, name: &str) -> Option<FieldType> {
        let _ = name;
        Some(FieldType::Text)
    }
}

/// The type of a field, which decides how literals compared with it are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A string: `=` compares text, `<`… compare numerically when both sides are numbers.
    Text,
    /// A number: the literals of `=`, `!=`, `<`…, `in` and `intersects` must be numbers.
    Number,
    /// A list of strings: `=` and `contains` test membership, `in` every element, `intersects`
    /// any element.
    List,
    /// A boolean: the literals of `=`, `!=`, `in` must be `true` or `false`.
    Bool,
    /// Ranked names, least severe first, lowercase; aliases given as (alias, canonical).
    /// Literals are resolved to their rank at parse time (any case).
    Ranked {
        /// The names, least severe first, lowercase; a name's rank is its index.
        names: &'static [&'static str],
        /// Other spellings, as (alias, canonical name), lowercase.
        aliases: &'static [(&'static str, &'static str)],
    },
}

/// Falco's priorities, least severe first: a priority's rank is its index here.
pub const PRIORITIES: &[&str] = &[
    "debug",
    "informational",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
];

/// Other spellings of Falco's priorities, as (alias, canonical name).
pub const PRIORITY_ALIASES: &[(&str, &str)] = &[("info", "informational")];

impl FieldType {
    /// Falco's priority: ranked, `debug` (0) to `emergency` (7), `info` for `informational`.
    pub const PRIORITY: FieldType = FieldType::Ranked {
        names: PRIORITIES,
        aliases: PRIORITY_ALIASES,
    };

    /// The rank of `name` (any case, aliases resolved) for a ranked type; `None` for an
    /// unknown name or a type that is not ranked.
    pub fn rank_of(&self, name: &str) -> Option<u8> {
        let FieldType::Ranked { names, aliases } = self else {
            return None;
        };
        let canonical = aliases
            .iter()
            .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
            .map_or(name, |(_, canonical)| canonical);
        let index = names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(canonical))?;
        u8::try_from(index).ok()
    }

    /// The canonical name of `rank` for a ranked type.
    pub fn rank_name(&self, rank: u8) -> Option<&'static str> {
        match self {
            FieldType::Ranked { names, .. } => names.get(usize::from(rank)).copied(),
            _ => None,
        }
    }
}

/// A [`Schema`] accepting every field as [`FieldType::Text`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyField;

impl Schema for AnyField {}

/// Any `Fn(&str) -> Option<FieldType>` is a schema.
impl<F: Fn(&str) -> Option<FieldType>> Schema for F {
    fn field_type(&self, name: &str) -> Option<FieldType> {
        self(name)
    }
}

/// Resolves Falco rule macros and named lists while parsing (see [`crate::Expr::parse_with`]).
///
/// A bare identifier used as a condition (`container and proc.name = sh`) is a macro; a bare
/// word inside `in (…)`/`intersects (…)` that names a list is replaced by its items. The
/// defaults resolve nothing, so without a resolver a lone identifier is a parse error and
/// every list item is a literal.
pub trait Resolver {
    /// The condition macro `name` stands for, already resolved (it is inserted as is).
    fn macro_condition(&self, name: &str) -> Option<ast::Node> {
        let _ = name;
        None
    }
    /// The items of the list `name`, already resolved.
    fn list_items(&self, name: &str) -> Option<Vec<String>> {
        let _ = name;
        None
    }
}

/// A [`Resolver`] that knows no macro and no list.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoResolver;

impl Resolver for NoResolver {}
