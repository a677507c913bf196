//! The compiled form of a condition and its evaluation: literals read once at parse time
//! (numbers, ranks, booleans), regexes and globs compiled once, `in` lists hashed.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt::{self, Write as _};

use globset::GlobMatcher;
use regex::Regex;

use crate::ast::{CompareOp, Field, Node, SetOp};
use crate::error::quoted;
use crate::schema::{FieldType, Fields, Schema, Value};

/// A compiled condition.
#[derive(Debug)]
pub(crate) enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Test(Box<Test>),
}

impl Cond {
    pub fn eval<F: Fields + ?Sized>(&self, record: &F) -> bool {
        match self {
            Cond::And(conds) => conds.iter().all(|c| c.eval(record)),
            Cond::Or(conds) => conds.iter().any(|c| c.eval(record)),
            Cond::Not(cond) => !cond.eval(record),
            Cond::Test(test) => test.eval(record),
        }
    }
}

/// Why a literal (or a field, when compiling a macro's tree) is not accepted.
#[derive(Debug)]
pub(crate) struct CompileError {
    /// Which value of a list (0 for a single value).
    pub index: usize,
    pub expected: String,
    pub found: String,
}

/// One comparison of one field.
#[derive(Debug)]
pub(crate) struct Test {
    name: String,
    arg: Option<String>,
    ftype: FieldType,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Exists,
    /// `=`, `!=`, `<`, `<=`, `>`, `>=`.
    Compare(CompareOp, Lit),
    /// `in` (`every`: a list field's elements must all be in the set) or `intersects`.
    Set {
        every: bool,
        set: Set,
    },
    /// `contains`, `icontains`, `startswith`, `endswith`, `glob`, `regex`.
    Text(Matcher),
}

/// A literal, read every way the field's value may need it.
#[derive(Debug)]
struct Lit {
    text: String,
    num: Option<f64>,
    rank: Option<u8>,
    boolean: Option<bool>,
}

/// The items of an `in`/`intersects` list, hashed for O(1) lookups.
#[derive(Debug, Default)]
struct Set {
    strs: HashSet<String>,
    /// Numbers by bit pattern (`-0` stored as `0`; never NaN).
    nums: HashSet<u64>,
    ranks: [u64; 4],
    bools: [bool; 2],
}

#[derive(Debug)]
enum Matcher {
    Contains(String),
    /// The needle, lowercased.
    IContains(String),
    StartsWith(String),
    EndsWith(String),
    Glob(GlobMatcher),
    Regex(Regex),
    /// Path prefixes, without trailing `/` (`/` itself kept).
    Pmatch(Vec<String>),
}

/// A single (non-list) field value.
#[derive(Clone, Copy)]
enum Scalar<'a> {
    Str(&'a str),
    Num(f64),
    Bool(bool),
    Rank(u8),
}

/// Compiles a resolved tree (a macro's) without source positions: errors name what is wrong.
pub(crate) fn compile(node: &Node, schema: &dyn Schema) -> Result<Cond, CompileError> {
    let all = |nodes: &[Node]| -> Result<Vec<Cond>, CompileError> {
        nodes.iter().map(|n| compile(n, schema)).collect()
    };
    Ok(match node {
        Node::And(nodes) => Cond::And(all(nodes)?),
        Node::Or(nodes) => Cond::Or(all(nodes)?),
        Node::Not(node) => Cond::Not(Box::new(compile(node, schema)?)),
        Node::Exists(field) => {
            Cond::Test(Box::new(Test::exists(field, field_type(schema, field)?)))
        }
        Node::Compare { field, op, value } => Cond::Test(Box::new(Test::compare(
            field,
            field_type(schema, field)?,
            *op,
            value,
        )?)),
        Node::Set { field, op, items } => Cond::Test(Box::new(Test::set(
            field,
            field_type(schema, field)?,
            *op,
            items,
        )?)),
    })
}

/// The field's type, or an unknown-field error.
pub(crate) fn field_type(schema: &dyn Schema, field: &Field) -> Result<FieldType, CompileError> {
    schema.field_type(&field.name).ok_or_else(|| CompileError {
        index: 0,
        expected: "a known field".to_owned(),
        found: quoted(&field.name),
    })
}

/// A number as Falco reads one: digits, sign, point and exponent only; finite.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn num_key(n: f64) -> u64 {
    if n == 0.0 {
        0
    } else {
        n.to_bits()
    }
}

/// "a priority (emergency, alert, …, debug)": the field's last name segment and its ranks.
fn rank_expected(ftype: FieldType, field: &Field) -> String {
    let FieldType::Ranked { names, .. } = ftype else {
        return "a rank".to_owned();
    };
    let noun = field.name.rsplit('.').next().unwrap_or(&field.name);
    let article = match noun.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    };
    let list: Vec<&str> = names.iter().rev().copied().collect();
    format!("{article} {noun} ({})", list.join(", "))
}

impl Lit {
    /// Reads `text` for a comparison with a field of type `ftype`: a ranked field needs a
    /// rank name, a number field a number, a boolean field `true` or `false`.
    fn new(text: &str, ftype: FieldType, field: &Field) -> Result<Lit, String> {
        let lit = Lit {
            text: text.to_owned(),
            num: parse_number(text),
            rank: ftype.rank_of(text),
            boolean: parse_bool(text),
        };
        match ftype {
            FieldType::Ranked { .. } if lit.rank.is_none() => Err(rank_expected(ftype, field)),
            FieldType::Number if lit.num.is_none() => Err("a number".to_owned()),
            FieldType::Bool if lit.boolean.is_none() => Err("`true` or `false`".to_owned()),
            _ => Ok(lit),
        }
    }
}

impl Set {
    fn has_rank(&self, rank: u8) -> bool {
        self.ranks[usize::from(rank / 64)] & (1 << (rank % 64)) != 0
    }

    fn insert(&mut self, lit: Lit) {
        if let Some(rank) = lit.rank {
            self.ranks[usize::from(rank / 64)] |= 1 << (rank % 64);
        }
        if let Some(n) = lit.num {
            self.nums.insert(num_key(n));
        }
        if let Some(b) = lit.boolean {
            self.bools[usize::from(b)] = true;
        }
        self.strs.insert(lit.text);
    }

    fn contains(&self, value: Scalar<'_>, ftype: FieldType) -> bool {
        match value {
            Scalar::Str(s) => match ftype {
                FieldType::Ranked { .. } => ftype.rank_of(s).is_some_and(|r| self.has_rank(r)),
                FieldType::Number => parse_number(s).is_some_and(|n| self.has_num(n)),
                FieldType::Bool => parse_bool(s).is_some_and(|b| self.bools[usize::from(b)]),
                FieldType::Text | FieldType::List => self.strs.contains(s),
            },
            Scalar::Num(n) => self.has_num(n),
            Scalar::Bool(b) => self.bools[usize::from(b)],
            Scalar::Rank(r) => match ftype {
                FieldType::Ranked { .. } => self.has_rank(r),
                _ => self.has_num(f64::from(r)),
            },
        }
    }

    fn has_num(&self, n: f64) -> bool {
        self.nums.contains(&num_key(n))
    }
}

impl Matcher {
    fn new(op: CompareOp, text: &str) -> Result<Matcher, String> {
        Ok(match op {
            CompareOp::Contains => Matcher::Contains(text.to_owned()),
            CompareOp::IContains => Matcher::IContains(text.to_lowercase()),
            CompareOp::StartsWith => Matcher::StartsWith(text.to_owned()),
            CompareOp::EndsWith => Matcher::EndsWith(text.to_owned()),
            CompareOp::Glob => Matcher::Glob(
                globset::Glob::new(text)
                    .map_err(|e| format!("a valid glob pattern ({})", e.kind()))?
                    .compile_matcher(),
            ),
            CompareOp::Regex => Matcher::Regex(full_match_regex(text)?),
            // The comparisons are not matchers: `Test::compare` sends them elsewhere.
            _ => Matcher::Contains(text.to_owned()),
        })
    }

    fn matches(&self, s: &str) -> bool {
        match self {
            Matcher::Contains(needle) => s.contains(needle.as_str()),
            Matcher::IContains(lower) => icontains(s, lower),
            Matcher::StartsWith(prefix) => s.starts_with(prefix.as_str()),
            Matcher::EndsWith(suffix) => s.ends_with(suffix.as_str()),
            Matcher::Glob(glob) => glob.is_match(s),
            Matcher::Regex(regex) => regex.is_match(s),
            Matcher::Pmatch(prefixes) => prefixes.iter().any(|p| path_under(s, p)),
        }
    }

    /// For a list field, `contains` and `icontains` test membership; the others match any
    /// element.
    fn matches_list(&self, items: &[String]) -> bool {
        match self {
            Matcher::Contains(needle) => items.iter().any(|item| item == needle),
            Matcher::IContains(lower) => items.iter().any(|item| eq_ignore_case(item, lower)),
            _ => items.iter().any(|item| self.matches(item)),
        }
    }
}

/// `path` without its trailing slashes (`/` stays `/`).
fn trim_path(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() && !path.is_empty() {
        "/"
    } else {
        trimmed
    }
}

/// Whether `value` is the path `prefix` or lies under it (component-wise).
fn path_under(value: &str, prefix: &str) -> bool {
    if prefix == "/" {
        return value.starts_with('/');
    }
    match value.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// A regex matched against the whole value, like Falco's RE2 `ANCHOR_BOTH`.
fn full_match_regex(pattern: &str) -> Result<Regex, String> {
    let describe = |e: regex::Error| {
        let text = e.to_string();
        let last = text.lines().last().unwrap_or_default();
        format!(
            "a valid regular expression ({})",
            last.strip_prefix("error: ").unwrap_or(last)
        )
    };
    // Checked alone first, so that wrapping cannot make a broken pattern valid (`a)(b`).
    Regex::new(pattern).map_err(describe)?;
    // `(?x)\n` ends a `#` comment the pattern may leave open in verbose mode, and is
    // nothing otherwise (in verbose mode the newline is ignored); flags end with the group.
    Regex::new(&format!("\\A(?:{pattern}(?x)\n)\\z")).map_err(describe)
}

/// Case-insensitive substring; no allocation when both sides are ASCII.
fn icontains(haystack: &str, lower_needle: &str) -> bool {
    if haystack.is_ascii() && lower_needle.is_ascii() {
        let needle = lower_needle.as_bytes();
        needle.is_empty()
            || haystack
                .as_bytes()
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle))
    } else {
        haystack.to_lowercase().contains(lower_needle)
    }
}

fn eq_ignore_case(s: &str, lower: &str) -> bool {
    if s.is_ascii() && lower.is_ascii() {
        s.eq_ignore_ascii_case(lower)
    } else {
        s.to_lowercase() == lower
    }
}

/// A fixed buffer numbers are formatted into, so that text operators on numbers do not
/// allocate.
struct StackText {
    buf: [u8; 40],
    len: usize,
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

fn with_number<R>(n: f64, f: impl FnOnce(&str) -> R) -> R {
    let mut text = StackText {
        buf: [0; 40],
        len: 0,
    };
    if write!(text, "{n}").is_ok() {
        f(std::str::from_utf8(&text.buf[..text.len]).unwrap_or_default())
    } else {
        f(&n.to_string())
    }
}

impl Test {
    fn new(field: &Field, ftype: FieldType, kind: Kind) -> Test {
        Test {
            name: field.name.clone(),
            arg: field.arg.clone(),
            ftype,
            kind,
        }
    }

    pub fn exists(field: &Field, ftype: FieldType) -> Test {
        Test::new(field, ftype, Kind::Exists)
    }

    pub fn compare(
        field: &Field,
        ftype: FieldType,
        op: CompareOp,
        value: &str,
    ) -> Result<Test, CompileError> {
        let error = |expected| CompileError {
            index: 0,
            expected,
            found: quoted(value),
        };
        let kind = if op.is_comparison() {
            Kind::Compare(op, Lit::new(value, ftype, field).map_err(error)?)
        } else {
            Kind::Text(Matcher::new(op, value).map_err(error)?)
        };
        Ok(Test::new(field, ftype, kind))
    }

    pub fn set(
        field: &Field,
        ftype: FieldType,
        op: SetOp,
        items: &[String],
    ) -> Result<Test, CompileError> {
        if op == SetOp::Pmatch {
            let prefixes = items
                .iter()
                .map(|item| trim_path(item).to_owned())
                .collect();
            return Ok(Test::new(
                field,
                ftype,
                Kind::Text(Matcher::Pmatch(prefixes)),
            ));
        }
        let mut set = Set::default();
        for (index, item) in items.iter().enumerate() {
            let lit = Lit::new(item, ftype, field).map_err(|expected| CompileError {
                index,
                expected,
                found: quoted(item),
            })?;
            set.insert(lit);
        }
        let every = op == SetOp::In;
        Ok(Test::new(field, ftype, Kind::Set { every, set }))
    }

    pub fn eval<F: Fields + ?Sized>(&self, record: &F) -> bool {
        match record.field(&self.name, self.arg.as_deref()) {
            Value::Missing => false,
            Value::List(items) => !items.is_empty() && self.eval_list(items),
            Value::Str(s) => self.eval_scalar(Scalar::Str(s)),
            Value::Owned(s) => self.eval_scalar(Scalar::Str(&s)),
            Value::Num(n) => self.eval_scalar(Scalar::Num(n)),
            Value::Bool(b) => self.eval_scalar(Scalar::Bool(b)),
            Value::Rank(r) => self.eval_scalar(Scalar::Rank(r)),
        }
    }

    fn eval_scalar(&self, value: Scalar<'_>) -> bool {
        match &self.kind {
            Kind::Exists => true,
            Kind::Compare(op, lit) => self.compare_scalar(*op, lit, value),
            Kind::Set { set, .. } => set.contains(value, self.ftype),
            Kind::Text(matcher) => self.with_text(value, |s| matcher.matches(s)),
        }
    }

    /// A non-empty list: `=` any element equals, `!=` none does, `<`… any element compares;
    /// `in` every element is in the set, `intersects` any is.
    fn eval_list(&self, items: &[String]) -> bool {
        match &self.kind {
            Kind::Exists => true,
            Kind::Compare(CompareOp::Ne, lit) => {
                !items.iter().any(|item| self.equal(lit, Scalar::Str(item)))
            }
            Kind::Compare(op, lit) => items
                .iter()
                .any(|item| self.compare_scalar(*op, lit, Scalar::Str(item))),
            Kind::Set { every: true, set } => items
                .iter()
                .all(|item| set.contains(Scalar::Str(item), self.ftype)),
            Kind::Set { every: false, set } => items
                .iter()
                .any(|item| set.contains(Scalar::Str(item), self.ftype)),
            Kind::Text(matcher) => matcher.matches_list(items),
        }
    }

    fn compare_scalar(&self, op: CompareOp, lit: &Lit, value: Scalar<'_>) -> bool {
        match op {
            CompareOp::Eq => self.equal(lit, value),
            CompareOp::Ne => !self.equal(lit, value),
            CompareOp::Lt => self.order(lit, value) == Some(Ordering::Less),
            CompareOp::Le => self.order(lit, value).is_some_and(Ordering::is_le),
            CompareOp::Gt => self.order(lit, value) == Some(Ordering::Greater),
            CompareOp::Ge => self.order(lit, value).is_some_and(Ordering::is_ge),
            _ => false,
        }
    }

    fn equal(&self, lit: &Lit, value: Scalar<'_>) -> bool {
        match value {
            Scalar::Str(s) => match self.ftype {
                FieldType::Ranked { .. } => {
                    self.ftype.rank_of(s).is_some_and(|r| lit.rank == Some(r))
                }
                FieldType::Number => parse_number(s).is_some_and(|n| lit.num == Some(n)),
                FieldType::Bool => parse_bool(s).is_some_and(|b| lit.boolean == Some(b)),
                FieldType::Text | FieldType::List => s == lit.text,
            },
            Scalar::Num(n) => lit.num == Some(n),
            Scalar::Bool(b) => lit.boolean == Some(b),
            Scalar::Rank(r) => match lit.rank {
                Some(rank) => rank == r,
                None => lit.num == Some(f64::from(r)),
            },
        }
    }

    /// The value compared with the literal: by rank for ranks, numerically otherwise (`None`
    /// when either side is not a number).
    fn order(&self, lit: &Lit, value: Scalar<'_>) -> Option<Ordering> {
        match value {
            Scalar::Str(s) => match self.ftype {
                FieldType::Ranked { .. } => Some(self.ftype.rank_of(s)?.cmp(&lit.rank?)),
                _ => parse_number(s)?.partial_cmp(&lit.num?),
            },
            Scalar::Num(n) => n.partial_cmp(&lit.num?),
            Scalar::Bool(_) => None,
            Scalar::Rank(r) => match lit.rank {
                Some(rank) => Some(r.cmp(&rank)),
                None => f64::from(r).partial_cmp(&lit.num?),
            },
        }
    }

    /// The value as text, for the text operators: a rank by its name, a number as Rust
    /// prints it (`3`, `2.5`), a boolean as `true`/`false`.
    fn with_text<R>(&self, value: Scalar<'_>, f: impl FnOnce(&str) -> R) -> R {
        match value {
            Scalar::Str(s) => f(s),
            Scalar::Bool(b) => f(if b { "true" } else { "false" }),
            Scalar::Rank(r) => match self.ftype.rank_name(r) {
                Some(name) => f(name),
                None => with_number(f64::from(r), f),
            },
            Scalar::Num(n) => with_number(n, f),
        }
    }
}
