//! Falconer's condition language: the condition syntax of Falco rules, shared by alert
//! routing, silences, throttles, the web UI's saved filters and Kubernetes audit rules.
//!
//! ```
//! use falconer_expr::{Expr, Fields, FieldType, Schema, Value};
//!
//! struct Alert { priority: u8, rule: String, tags: Vec<String> }
//! impl Fields for Alert {
//!     fn field(&self, name: &str, _arg: Option<&str>) -> Value<'_> {
//!         match name {
//!             "priority" => Value::Rank(self.priority),
//!             "rule" => Value::Str(&self.rule),
//!             "tags" => Value::List(&self.tags),
//!             _ => Value::Missing,
//!         }
//!     }
//! }
//! struct AlertSchema;
//! impl Schema for AlertSchema {
//!     fn field_type(&self, name: &str) -> Option<FieldType> {
//!         match name {
//!             "priority" => Some(FieldType::PRIORITY),
//!             "rule" => Some(FieldType::Text),
//!             "tags" => Some(FieldType::List),
//!             _ => None,
//!         }
//!     }
//! }
//!
//! let expr = Expr::parse("priority >= warning and tags contains k8s", &AlertSchema).unwrap();
//! let alert = Alert {
//!     priority: FieldType::PRIORITY.rank_of("error").unwrap(),
//!     rule: "Terminal shell in container".into(),
//!     tags: vec!["k8s".into(), "shell".into()],
//! };
//! assert!(expr.matches(&alert));
//! ```
//!
//! # Grammar
//!
//! ```text
//! condition  := or
//! or         := and ("or" and)*
//! and        := unary ("and" unary)*
//! unary      := "not" unary | "(" or ")" | test | MACRO
//! test       := field "exists"
//!             | field cmp_op value
//!             | field ("in" | "intersects" | "pmatch") "(" [item ("," item)*] ")"
//! cmp_op     := "=" | "==" | "!=" | "<" | "<=" | ">" | ">="
//!             | "contains" | "icontains" | "startswith" | "endswith" | "glob" | "regex"
//! field      := NAME ["[" ARG "]"]          NAME = [A-Za-z_][A-Za-z0-9_.-]*, ARG = [^\]]+
//! value      := QUOTED | BARE
//! item       := value | LIST_NAME
//! QUOTED     := "…" or '…' with the escapes \\ \" \' \n \r \t (any other \x stays as is)
//! BARE       := one or more characters up to whitespace, ")" or "," (not starting with a
//!               quote, "(" or ",")
//! ```
//!
//! Keywords are lowercase and case-sensitive. Precedence: `not` over `and` over `or`.
//! `MACRO` and `LIST_NAME` are resolved by a [`Resolver`] ([`Expr::parse_with`]).
//!
//! # Semantics (Falco's)
//!
//! - A missing field makes every test false, `!=` included; `exists` is false only for it
//!   (and for an empty list, which counts as missing). `not` negates whatever its operand
//!   gives.
//! - `=`/`!=` compare text, numbers, booleans or ranks by the value the record gives;
//!   `<`, `<=`, `>`, `>=` compare ranks by rank and anything else numerically, false when
//!   either side is not a number (strings are never compared lexically).
//! - Ranked fields ([`FieldType::Ranked`], e.g. [`FieldType::PRIORITY`]) have their literals
//!   resolved to ranks at parse time, any case: `priority >= warning`.
//! - `contains` is substring for a string and membership for a list; `icontains` is its
//!   case-insensitive form; `startswith`, `endswith`, `glob`, `regex` (both whole-value)
//!   match any element of a list.
//! - `in (…)`: for a string, membership; for a list, every element is in the set.
//!   `intersects (…)`: for a list, any element is; for a string, membership. The set is
//!   hashed. `pmatch (…)`: the value is one of the paths or lies under one, component-wise
//!   (`/etc` matches `/etc/passwd`, not `/etcd`); for a list, any element does.
//! - `=` on a list: any element equals; `!=`: none does.

pub mod ast;
mod error;
mod eval;
mod lexer;
mod parser;
mod schema;

#[cfg(test)]
mod tests;

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

pub use error::ParseError;
pub use parser::MAX_DEPTH;
pub use schema::{
    AnyField, FieldType, Fields, NoResolver, Resolver, Schema, Value, PRIORITIES, PRIORITY_ALIASES,
};

/// A parsed condition, ready to evaluate. Cheap to clone (shared), `Send + Sync`.
#[derive(Clone, Debug)]
pub struct Expr {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    source: String,
    ast: ast::Node,
    cond: eval::Cond,
    /// Byte ranges of the top-level `and` operands, when the root is a written `and`.
    clauses: Option<Vec<Range<usize>>>,
    fields: Vec<String>,
}

impl Expr {
    /// Parses `source`, checking field names and literals against `schema`.
    pub fn parse(source: &str, schema: &dyn Schema) -> Result<Expr, ParseError> {
        Expr::parse_with(source, schema, &NoResolver)
    }

    /// Parses `source` with Falco macros and named lists resolved by `resolver`.
    pub fn parse_with(
        source: &str,
        schema: &dyn Schema,
        resolver: &dyn Resolver,
    ) -> Result<Expr, ParseError> {
        let parsed = parser::Parser::new(source, schema, resolver).parse()?;
        let mut fields: Vec<String> = Vec::new();
        parsed.node.walk_fields(&mut |field| {
            if !fields.contains(&field.name) {
                fields.push(field.name.clone());
            }
        });
        Ok(Expr {
            inner: Arc::new(Inner {
                source: source.to_owned(),
                ast: parsed.node,
                cond: parsed.cond,
                clauses: parsed.clauses,
                fields,
            }),
        })
    }

    /// The expression of a syntax tree (its canonical source, parsed against `schema`).
    pub fn from_ast(node: &ast::Node, schema: &dyn Schema) -> Result<Expr, ParseError> {
        Expr::parse(&node.to_string(), schema)
    }

    /// Whether `record` satisfies the condition. Does not allocate for `Str`, `List`,
    /// `Rank`, `Num` and `Bool` values (except `icontains` on non-ASCII text).
    pub fn matches<F: Fields + ?Sized>(&self, record: &F) -> bool {
        self.inner.cond.eval(record)
    }

    /// The source text, as given.
    pub fn source(&self) -> &str {
        &self.inner.source
    }

    /// The syntax tree (macros and named lists expanded).
    pub fn ast(&self) -> &ast::Node {
        &self.inner.ast
    }

    /// The source text of the first top-level `and` clause that is false for `record` (the
    /// whole expression, trimmed, when it is not an `and`), or `None` when the expression
    /// matches. Used by `falconer route` to say which clause failed.
    pub fn failing_clause<F: Fields + ?Sized>(&self, record: &F) -> Option<&str> {
        let inner = &*self.inner;
        if let (eval::Cond::And(conds), Some(spans)) = (&inner.cond, &inner.clauses) {
            return conds
                .iter()
                .zip(spans)
                .find(|(cond, _)| !cond.eval(record))
                .map(|(_, span)| &inner.source[span.clone()]);
        }
        (!inner.cond.eval(record)).then(|| inner.source.trim())
    }

    /// Field names the expression reads (for validation and docs), each once, in source
    /// order, without bracket arguments.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.inner.fields.iter().map(String::as_str)
    }
}

impl fmt::Display for Expr {
    /// The source text, as given.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.source)
    }
}
