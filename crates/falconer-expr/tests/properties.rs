//! Properties over generated syntax trees and records: the canonical text parses back to the
//! same tree, and `not X` is the negation of `X` on any record.

use std::collections::HashMap;

use falconer_expr::ast::{CompareOp, Field, Node, SetOp};
use falconer_expr::{AnyField, Expr, FieldType, Fields, Schema, Value};
use proptest::prelude::*;

/// Characters that matter to the lexer, often; any character, sometimes.
fn text() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        '"', '\'', '\\', ' ', '(', ')', ',', '[', ']', '=', '!', '<', 'a', 'b', '1', '.', '-',
        '\n', '\t', 'é',
    ]);
    prop::collection::vec(prop_oneof![3 => special, 1 => any::<char>()], 0..8)
        .prop_map(String::from_iter)
}

/// Values: a few that records hold (so tests match), or anything.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(vec!["x", "y", "1", "2.5", "-3", "warning", "error", "true", ""])
            .prop_map(String::from),
        1 => text(),
    ]
}

fn field() -> impl Strategy<Value = Field> {
    let name = prop_oneof![
        3 => prop::sample::select(vec!["a", "b.c", "priority", "tags", "n", "flag"])
            .prop_map(String::from),
        1 => "[A-Za-z_][A-Za-z0-9_.-]{0,8}"
            .prop_filter("keywords", |n| !matches!(n.as_str(), "and" | "or" | "not")),
    ];
    let arg = prop::option::weighted(0.2, "[a-z0-9/._ -]{1,6}");
    (name, arg).prop_map(|(name, arg)| Field { name, arg })
}

fn leaf() -> impl Strategy<Value = Node> {
    let text_op = prop::sample::select(CompareOp::ALL.to_vec()).prop_filter("patterns", |op| {
        !matches!(op, CompareOp::Regex | CompareOp::Glob)
    });
    prop_oneof![
        field().prop_map(Node::Exists),
        (field(), text_op, value()).prop_map(|(field, op, value)| Node::Compare {
            field,
            op,
            value
        }),
        (field(), "[a-z]{0,3}(\\.\\*)?").prop_map(|(field, value)| Node::Compare {
            field,
            op: CompareOp::Regex,
            value,
        }),
        (field(), "[a-z*?]{0,4}").prop_map(|(field, value)| Node::Compare {
            field,
            op: CompareOp::Glob,
            value,
        }),
        (
            field(),
            prop::sample::select(vec![SetOp::In, SetOp::Intersects, SetOp::Pmatch]),
            prop::collection::vec(value(), 0..4)
        )
            .prop_map(|(field, op, items)| Node::Set { field, op, items }),
    ]
}

fn node() -> impl Strategy<Value = Node> {
    leaf().prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Node::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Node::Or),
            inner.prop_map(|n| Node::Not(Box::new(n))),
        ]
    })
}

#[derive(Debug, Clone)]
enum RecValue {
    Str(String),
    Num(f64),
    Bool(bool),
    Rank(u8),
    List(Vec<String>),
}

#[derive(Debug)]
struct Record(HashMap<String, RecValue>);

impl Fields for Record {
    fn field(&self, name: &str, _arg: Option<&str>) -> Value<'_> {
        match self.0.get(name) {
            None => Value::Missing,
            Some(RecValue::Str(s)) => Value::Str(s),
            Some(RecValue::Num(n)) => Value::Num(*n),
            Some(RecValue::Bool(b)) => Value::Bool(*b),
            Some(RecValue::Rank(r)) => Value::Rank(*r),
            Some(RecValue::List(l)) => Value::List(l),
        }
    }
}

fn record() -> impl Strategy<Value = Record> {
    let rec_value = prop_oneof![
        value().prop_map(RecValue::Str),
        prop::sample::select(vec![1.0, 2.5, -3.0, 0.0, 1e300]).prop_map(RecValue::Num),
        any::<bool>().prop_map(RecValue::Bool),
        (0u8..8).prop_map(RecValue::Rank),
        prop::collection::vec(value(), 0..3).prop_map(RecValue::List),
    ];
    let names = prop::sample::select(vec!["a", "b.c", "priority", "tags", "n", "flag"]);
    prop::collection::hash_map(names.prop_map(String::from), rec_value, 0..6).prop_map(Record)
}

/// Sequences of the language's tokens, so that much of it parses (or nearly does).
fn token_soup() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "a",
        "n",
        "priority",
        "tags",
        "flag",
        "b.c[x]",
        "=",
        "!=",
        "<",
        ">=",
        "(",
        ")",
        ",",
        "not",
        "and",
        "or",
        "in",
        "intersects",
        "pmatch",
        "exists",
        "contains",
        "icontains",
        "startswith",
        "glob",
        "regex",
        "\"x y\"",
        "'z'",
        "warning",
        "info",
        "1",
        "2.5",
        "true",
        "\"a\\\\.*\"",
        "[",
        "]",
        "\"",
        "'",
    ]);
    let sep = prop::sample::select(vec!["", " ", "  "]);
    prop::collection::vec((token, sep), 0..12)
        .prop_map(|parts| parts.into_iter().map(|(t, s)| format!("{t}{s}")).collect())
}

/// Like the alert schema: a ranked priority, a number, a list, a boolean; the rest text.
struct Typed;

impl Schema for Typed {
    fn field_type(&self, name: &str) -> Option<FieldType> {
        Some(match name {
            "priority" => FieldType::PRIORITY,
            "n" => FieldType::Number,
            "tags" => FieldType::List,
            "flag" => FieldType::Bool,
            _ => FieldType::Text,
        })
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn display_parses_back_to_the_same_tree(node in node()) {
        let source = node.to_string();
        let expr = Expr::parse(&source, &AnyField)
            .map_err(|e| TestCaseError::fail(format!("{source:?}: {e}")))?;
        prop_assert_eq!(expr.ast(), &node, "{}", source);
        prop_assert_eq!(expr.ast().to_string(), source);
    }

    #[test]
    fn not_is_negation(node in node(), record in record()) {
        for schema in [&AnyField as &dyn Schema, &Typed] {
            // A literal the typed schema refuses (a number for `n`…) is not this test's business.
            let Ok(expr) = Expr::parse(&node.to_string(), schema) else { continue };
            let negated = Expr::parse(&node.clone().not().to_string(), schema)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let matched = expr.matches(&record);
            prop_assert_eq!(negated.matches(&record), !matched);
            prop_assert_eq!(expr.failing_clause(&record).is_none(), matched);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(source in prop_oneof!["\\PC{0,40}", token_soup()], record in record()) {
        for schema in [&AnyField as &dyn Schema, &Typed] {
            if let Ok(expr) = Expr::parse(&source, schema) {
                let matched = expr.matches(&record);
                prop_assert_eq!(expr.failing_clause(&record).is_none(), matched);
                let again = Expr::parse(&expr.ast().to_string(), schema)
                    .map_err(|e| TestCaseError::fail(format!("{source:?}: {e}")))?;
                prop_assert_eq!(again.ast(), expr.ast());
            }
        }
    }
}
