//! Rule `exceptions`: named tuples of fields, comparison operators and values; a rule does not
//! fire when any value tuple of any exception matches (Falco's
//! `condition and not ((f1 = v1 and f2 = v2) or …)`).

use falconer_expr::ast::{CompareOp, Field, Node, SetOp};
use falconer_expr::{Resolver, Schema};
use serde_yaml_ng::Value as Yaml;

use super::collect::{scalar, scalars};
use crate::fields::K8sAuditSchema;

/// One exception as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExceptionDef {
    pub name: String,
    /// `fields: [a, b]` (a tuple per value) or `fields: a` (a flat list of values).
    pub fields: Vec<String>,
    pub single: bool,
    pub comps: Vec<String>,
    pub values: Vec<Yaml>,
}

/// An operator of an exception.
enum Op {
    Compare(CompareOp),
    Set(SetOp),
}

fn op(text: &str) -> Option<Op> {
    Some(match text {
        "=" | "==" => Op::Compare(CompareOp::Eq),
        "!=" => Op::Compare(CompareOp::Ne),
        "<" => Op::Compare(CompareOp::Lt),
        "<=" => Op::Compare(CompareOp::Le),
        ">" => Op::Compare(CompareOp::Gt),
        ">=" => Op::Compare(CompareOp::Ge),
        "contains" => Op::Compare(CompareOp::Contains),
        "icontains" => Op::Compare(CompareOp::IContains),
        "startswith" => Op::Compare(CompareOp::StartsWith),
        "endswith" => Op::Compare(CompareOp::EndsWith),
        "glob" => Op::Compare(CompareOp::Glob),
        "regex" => Op::Compare(CompareOp::Regex),
        "in" => Op::Set(SetOp::In),
        "intersects" => Op::Set(SetOp::Intersects),
        "pmatch" => Op::Set(SetOp::Pmatch),
        _ => return None,
    })
}

/// `name` or `name[arg]` as a field.
fn field(text: &str) -> Field {
    match text.split_once('[') {
        Some((name, rest)) => Field::with_arg(name, rest.trim_end_matches(']')),
        None => Field::new(text),
    }
}

impl ExceptionDef {
    /// The `exceptions:` list of an item.
    pub fn read_all(value: Option<&Yaml>) -> Result<Vec<ExceptionDef>, String> {
        let items = match value {
            None | Some(Yaml::Null) => return Ok(Vec::new()),
            Some(Yaml::Sequence(items)) => items,
            Some(_) => return Err("`exceptions` must be a list".into()),
        };
        items.iter().map(ExceptionDef::read).collect()
    }

    fn read(item: &Yaml) -> Result<ExceptionDef, String> {
        let map = item.as_mapping().ok_or("an exception must be a mapping")?;
        let name = map
            .get("name")
            .and_then(scalar)
            .ok_or("an exception needs a `name`")?;
        let bad = |what: &str| format!("exception {name:?}: {what}");
        let (fields, single) = match map.get("fields") {
            None | Some(Yaml::Null) => (Vec::new(), false),
            Some(Yaml::Sequence(_)) => (
                map.get("fields")
                    .and_then(scalars)
                    .ok_or_else(|| bad("`fields` must be strings"))?,
                false,
            ),
            Some(other) => (
                vec![scalar(other).ok_or_else(|| bad("`fields` must be strings"))?],
                true,
            ),
        };
        let comps = match map.get("comps") {
            None | Some(Yaml::Null) => Vec::new(),
            Some(v) => scalars(v).ok_or_else(|| bad("`comps` must be strings"))?,
        };
        let values = match map.get("values") {
            None | Some(Yaml::Null) => Vec::new(),
            Some(Yaml::Sequence(v)) => v.clone(),
            Some(_) => return Err(bad("`values` must be a list")),
        };
        if !single && !comps.is_empty() && comps.len() != fields.len() {
            return Err(bad("`fields` and `comps` must have the same length"));
        }
        Ok(ExceptionDef {
            name,
            fields,
            single,
            comps,
            values,
        })
    }

    /// Appends `new` to `existing`: values of an exception already there are added to it,
    /// a new exception is added whole.
    pub fn append(existing: &mut Vec<ExceptionDef>, new: Vec<ExceptionDef>) -> Result<(), String> {
        for exception in new {
            match existing.iter_mut().find(|e| e.name == exception.name) {
                Some(old) => old.values.extend(exception.values),
                None => existing.push(exception),
            }
        }
        Ok(())
    }

    /// The condition this exception excludes (`None` when it has no values).
    pub fn node(&self, resolver: &dyn Resolver) -> Result<Option<Node>, String> {
        let bad = |what: String| format!("exception {:?}: {what}", self.name);
        if self.fields.is_empty() {
            return Err(bad("needs `fields`".into()));
        }
        for f in &self.fields {
            let name = field(f).name;
            if K8sAuditSchema.field_type(&name).is_none() {
                return Err(bad(format!("unknown field `{name}`")));
            }
        }
        let default_comp = if self.single { "in" } else { "=" };
        let comp = |i: usize| -> Result<Op, String> {
            let text = self.comps.get(i).map_or(default_comp, String::as_str);
            op(text).ok_or_else(|| bad(format!("unknown comparison operator `{text}`")))
        };
        let mut alternatives = Vec::new();
        if self.single {
            let items = self
                .values
                .iter()
                .map(|v| scalar(v).ok_or_else(|| bad("values must be strings".into())))
                .collect::<Result<Vec<_>, _>>()?;
            if items.is_empty() {
                return Ok(None);
            }
            let f = field(&self.fields[0]);
            match comp(0)? {
                Op::Set(op) => alternatives.push(Node::Set {
                    field: f,
                    op,
                    items: expand(&items, resolver),
                }),
                Op::Compare(op) => {
                    alternatives.extend(items.into_iter().map(|value| Node::Compare {
                        field: f.clone(),
                        op,
                        value,
                    }))
                }
            }
        } else {
            for tuple in &self.values {
                let Some(parts) = tuple.as_sequence() else {
                    return Err(bad("each value must be a list, one item per field".into()));
                };
                if parts.len() != self.fields.len() {
                    return Err(bad(format!(
                        "a value has {} items for {} fields",
                        parts.len(),
                        self.fields.len()
                    )));
                }
                let mut tests = Vec::new();
                for (i, part) in parts.iter().enumerate() {
                    let f = field(&self.fields[i]);
                    tests.push(match (comp(i)?, part) {
                        (Op::Set(op), Yaml::Sequence(_)) => Node::Set {
                            field: f,
                            op,
                            items: expand(
                                &scalars(part)
                                    .ok_or_else(|| bad("values must be strings".into()))?,
                                resolver,
                            ),
                        },
                        (Op::Set(op), other) => {
                            let item = scalar(other)
                                .ok_or_else(|| bad("values must be strings".into()))?;
                            Node::Set {
                                field: f,
                                op,
                                items: expand(&[item], resolver),
                            }
                        }
                        (Op::Compare(op), other) => Node::Compare {
                            field: f,
                            op,
                            value: scalar(other).ok_or_else(|| {
                                bad("a value compared with one operator must be a string".into())
                            })?,
                        },
                    });
                }
                alternatives.push(one_or(tests, Node::And));
            }
        }
        if alternatives.is_empty() {
            return Ok(None);
        }
        Ok(Some(one_or(alternatives, Node::Or)))
    }
}

/// Items with named lists replaced by their items.
fn expand(items: &[String], resolver: &dyn Resolver) -> Vec<String> {
    items
        .iter()
        .flat_map(|item| {
            resolver
                .list_items(item)
                .unwrap_or_else(|| vec![item.clone()])
        })
        .collect()
}

/// The node alone, or `join` of them when there are several.
pub(crate) fn one_or(mut nodes: Vec<Node>, join: fn(Vec<Node>) -> Node) -> Node {
    if nodes.len() == 1 {
        nodes.remove(0)
    } else {
        join(nodes)
    }
}
