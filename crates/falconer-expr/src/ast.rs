//! The syntax tree of a condition, as the parser builds it (macros and named lists already
//! resolved). Its [`Display`](std::fmt::Display) prints canonical source that parses back to
//! the same tree: single spaces, `=` for `==`, values bare when they can be and double-quoted
//! otherwise, parentheses only where the tree needs them.

use std::fmt;

/// A field reference: `k8s.ns.name`, or with a bracket argument `ka.uri.param[user]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    /// The name, `[A-Za-z_][A-Za-z0-9_.-]*`.
    pub name: String,
    /// The bracket argument, without the brackets (never empty, never holds `]`).
    pub arg: Option<String>,
}

impl Field {
    /// A field without argument.
    pub fn new(name: impl Into<String>) -> Self {
        Field {
            name: name.into(),
            arg: None,
        }
    }

    /// A field with a bracket argument.
    pub fn with_arg(name: impl Into<String>, arg: impl Into<String>) -> Self {
        Field {
            name: name.into(),
            arg: Some(arg.into()),
        }
    }
}

/// A binary operator with one value on its right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CompareOp {
    /// `=` (also written `==`)
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `contains`: substring, or membership for a list field
    Contains,
    /// `icontains`: case-insensitive `contains`
    IContains,
    /// `startswith`
    StartsWith,
    /// `endswith`
    EndsWith,
    /// `glob`: fnmatch-style pattern (`*`, `?`, `[…]`), matched against the whole value
    Glob,
    /// `regex`: a regular expression matched against the whole value (as Falco's RE2 full match)
    Regex,
}

impl CompareOp {
    /// Every operator, in the order of the error messages.
    pub const ALL: [CompareOp; 12] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Contains,
        CompareOp::IContains,
        CompareOp::StartsWith,
        CompareOp::EndsWith,
        CompareOp::Glob,
        CompareOp::Regex,
    ];

    /// The operator as written in canonical source.
    pub const fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Contains => "contains",
            CompareOp::IContains => "icontains",
            CompareOp::StartsWith => "startswith",
            CompareOp::EndsWith => "endswith",
            CompareOp::Glob => "glob",
            CompareOp::Regex => "regex",
        }
    }

    /// Whether the operator compares values (`=`, `!=`, `<`, `<=`, `>`, `>=`), so that its
    /// literal is read by the field's type (a number, a rank…), not as text to search.
    pub const fn is_comparison(self) -> bool {
        matches!(
            self,
            CompareOp::Eq
                | CompareOp::Ne
                | CompareOp::Lt
                | CompareOp::Le
                | CompareOp::Gt
                | CompareOp::Ge
        )
    }
}

/// An operator with a parenthesized list on its right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SetOp {
    /// `in`: the value is one of the items (for a list field: every element is)
    In,
    /// `intersects`: the value is one of the items (for a list field: any element is)
    Intersects,
    /// `pmatch`: the value is one of the paths or lies under one of them, compared component
    /// by component (`/etc` matches `/etc` and `/etc/passwd`, not `/etcd`); for a list
    /// field, any element does
    Pmatch,
}

impl SetOp {
    /// The operator as written.
    pub const fn as_str(self) -> &'static str {
        match self {
            SetOp::In => "in",
            SetOp::Intersects => "intersects",
            SetOp::Pmatch => "pmatch",
        }
    }
}

/// A condition.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Node {
    /// `a and b and …`: true when every operand is (two operands or more).
    And(Vec<Node>),
    /// `a or b or …`: true when any operand is (two operands or more).
    Or(Vec<Node>),
    /// `not a`
    Not(Box<Node>),
    /// `field exists`
    Exists(Field),
    /// `field op value`
    Compare {
        /// The field read.
        field: Field,
        /// The operator.
        op: CompareOp,
        /// The literal, unquoted and unescaped.
        value: String,
    },
    /// `field in (a, b, …)`
    Set {
        /// The field read.
        field: Field,
        /// The operator.
        op: SetOp,
        /// The items, unquoted and unescaped (named lists already expanded).
        items: Vec<String>,
    },
}

impl Node {
    /// `not self`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Node {
        Node::Not(Box::new(self))
    }

    /// Every field the condition reads, in source order (repeats included).
    pub fn walk_fields<'a>(&'a self, visit: &mut dyn FnMut(&'a Field)) {
        match self {
            Node::And(nodes) | Node::Or(nodes) => {
                for node in nodes {
                    node.walk_fields(visit);
                }
            }
            Node::Not(node) => node.walk_fields(visit),
            Node::Exists(field) | Node::Compare { field, .. } | Node::Set { field, .. } => {
                visit(field)
            }
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(arg) = &self.arg {
            write!(f, "[{arg}]")?;
        }
        Ok(())
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for SetOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::And(nodes) => write_joined(f, nodes, " and ", |n| {
                matches!(n, Node::And(_) | Node::Or(_))
            }),
            Node::Or(nodes) => write_joined(f, nodes, " or ", |n| matches!(n, Node::Or(_))),
            Node::Not(node) => {
                f.write_str("not ")?;
                write_operand(f, node, matches!(**node, Node::And(_) | Node::Or(_)))
            }
            Node::Exists(field) => write!(f, "{field} exists"),
            Node::Compare { field, op, value } => {
                write!(f, "{field} {op} ")?;
                write_value(f, value)
            }
            Node::Set { field, op, items } => {
                write!(f, "{field} {op} (")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_value(f, item)?;
                }
                f.write_str(")")
            }
        }
    }
}

fn write_joined(
    f: &mut fmt::Formatter<'_>,
    nodes: &[Node],
    separator: &str,
    needs_parens: fn(&Node) -> bool,
) -> fmt::Result {
    for (i, node) in nodes.iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        write_operand(f, node, needs_parens(node))?;
    }
    Ok(())
}

fn write_operand(f: &mut fmt::Formatter<'_>, node: &Node, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({node})")
    } else {
        write!(f, "{node}")
    }
}

/// Whether `value` can be written without quotes and read back as itself.
pub(crate) fn is_bare(value: &str) -> bool {
    !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '(' | ')' | ',' | '"' | '\'' | '\\'))
}

/// `value` bare when it can be, else double-quoted with `\\`, `\"`, `\n`, `\r`, `\t` escapes.
fn write_value(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    if is_bare(value) {
        return f.write_str(value);
    }
    f.write_str("\"")?;
    for c in value.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c => fmt::Write::write_char(f, c)?,
        }
    }
    f.write_str("\"")
}
