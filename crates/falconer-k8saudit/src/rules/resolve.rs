//! Macros and lists for the condition parser: resolved on first use (so a macro only rules of
//! other sources use, with their fields, is never checked against `ka.*`), cached, cycles
//! reported.

use std::cell::RefCell;
use std::collections::HashMap;

use falconer_expr::ast::{Field, Node};
use falconer_expr::{AnyField, Expr, Resolver};

use super::collect::Defs;
use super::error::LoadError;
use crate::fields::K8sAuditSchema;

/// Resolves the macros and lists of `defs`.
pub(crate) struct DefsResolver<'a> {
    defs: &'a Defs,
    macros: RefCell<HashMap<String, Option<Node>>>,
    in_progress: RefCell<Vec<String>>,
    /// Errors found in macros and lists while resolving (each reported once).
    pub errors: RefCell<Vec<LoadError>>,
}

impl<'a> DefsResolver<'a> {
    pub fn new(defs: &'a Defs) -> Self {
        DefsResolver {
            defs,
            macros: RefCell::new(HashMap::new()),
            in_progress: RefCell::new(Vec::new()),
            errors: RefCell::new(Vec::new()),
        }
    }

    fn list_into(&self, name: &str, depth: usize, out: &mut Vec<String>) -> bool {
        let Some(def) = self.defs.lists.get(name) else {
            return false;
        };
        for item in &def.value {
            // A list's items may name lists defined anywhere; 32 levels is a cycle.
            if depth < 32 && item != name && self.list_into(item, depth + 1, out) {
                continue;
            }
            out.push(item.clone());
        }
        true
    }
}

impl Resolver for DefsResolver<'_> {
    fn macro_condition(&self, name: &str) -> Option<Node> {
        if let Some(cached) = self.macros.borrow().get(name) {
            return cached.clone();
        }
        let def = self.defs.macros.get(name)?;
        if self.in_progress.borrow().iter().any(|n| n == name) {
            self.errors.borrow_mut().push(LoadError::at(
                &def.loc,
                Some(format!("macro {name:?}")),
                "refers to itself (through the macros it uses)",
            ));
            return None;
        }
        self.in_progress.borrow_mut().push(name.to_owned());
        let parsed = Expr::parse_with(&def.value, &K8sAuditSchema, self);
        self.in_progress.borrow_mut().pop();
        let node = match parsed {
            Ok(expr) => Some(expr.ast().clone()),
            Err(e) => {
                self.errors.borrow_mut().push(LoadError::at(
                    &def.loc,
                    Some(format!("macro {name:?}")),
                    format!("condition: {e}"),
                ));
                None
            }
        };
        self.macros
            .borrow_mut()
            .insert(name.to_owned(), node.clone());
        node
    }

    fn list_items(&self, name: &str) -> Option<Vec<String>> {
        let mut out = Vec::new();
        self.list_into(name, 0, &mut out).then_some(out)
    }
}

/// Accepts any field and any macro name: checks a condition's syntax only.
pub(crate) struct SyntaxOnly;

impl Resolver for SyntaxOnly {
    fn macro_condition(&self, _name: &str) -> Option<Node> {
        Some(Node::Exists(Field::new("macro")))
    }
}

/// The syntax error of `condition`, if any.
pub(crate) fn syntax_error(condition: &str) -> Option<falconer_expr::ParseError> {
    Expr::parse_with(condition, &AnyField, &SyntaxOnly).err()
}
