//! Any text as a condition (a route, a silence, a saved UI filter), parsed against a schema
//! that accepts every field and one with typed fields (a ranked priority, a number, a list, a
//! boolean): parsing reports errors and never panics, a condition that parses evaluates on a
//! small record, and its canonical text parses back to the same tree.

#![no_main]

use falconer_expr::{AnyField, Expr, FieldType, Fields, Schema, Value};
use libfuzzer_sys::fuzz_target;

struct Typed;

impl Schema for Typed {
    fn field_type(&self, name: &str) -> Option<FieldType> {
        Some(match name {
            "priority" => FieldType::PRIORITY,
            "n" | "output_fields.n" => FieldType::Number,
            "tags" => FieldType::List,
            "flag" => FieldType::Bool,
            _ if name.starts_with("unknown") => return None,
            _ => FieldType::Text,
        })
    }
}

struct Record {
    tags: Vec<String>,
}

impl Fields for Record {
    fn field(&self, name: &str, arg: Option<&str>) -> Value<'_> {
        match (name, arg) {
            ("priority", _) => Value::Rank(4),
            ("rule", _) => Value::Str("Terminal shell in container"),
            ("source", _) => Value::Str("k8s_audit"),
            ("n", _) => Value::Num(42.5),
            ("output_fields.n", _) => Value::Str("17"),
            ("tags", _) => Value::List(&self.tags),
            ("empty", _) => Value::List(&[]),
            ("flag", _) => Value::Bool(true),
            ("ka.uri.param", Some(arg)) => Value::Owned(format!("value of {arg}")),
            ("hostname", _) => Value::Str("ci-Grüße-1"),
            _ => Value::Missing,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let record = Record {
        tags: vec!["k8s".into(), "shell".into(), String::new()],
    };
    for schema in [&AnyField as &dyn Schema, &Typed] {
        let Ok(expr) = Expr::parse(source, schema) else {
            continue;
        };
        let matched = expr.matches(&record);
        assert_eq!(expr.failing_clause(&record).is_none(), matched);
        assert!(expr.fields().count() > 0);
        let canonical = expr.ast().to_string();
        let again = Expr::parse(&canonical, schema).expect("the canonical text parses");
        assert_eq!(again.ast(), expr.ast(), "{canonical}");
        assert_eq!(again.matches(&record), matched);
    }
});
