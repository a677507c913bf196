//! The recursive-descent parser. It builds the syntax tree and its compiled form side by
//! side, so that every literal is checked (rank, number, regex, glob) at its own column.

use std::ops::Range;

use crate::ast::{Field, Node};
use crate::error::{quoted, ParseError};
use crate::eval::{self, Cond, Test};
use crate::lexer::{Lexer, Operator};
use crate::schema::{Resolver, Schema};

/// How deep `(` and `not` may nest: far beyond any real condition, well within the stack.
pub const MAX_DEPTH: usize = 100;

/// What parsing a condition gives.
pub(crate) struct Parsed {
    pub node: Node,
    pub cond: Cond,
    /// The source ranges of the operands when the condition is an `and` written in the
    /// source (not one a macro brought in).
    pub clauses: Option<Vec<Range<usize>>>,
}

pub(crate) struct Parser<'s, 'r> {
    lx: Lexer<'s>,
    schema: &'r dyn Schema,
    resolver: &'r dyn Resolver,
}

pub(crate) const EXPECTED_OPERATOR: &str =
    "an operator (=, !=, <, <=, >, >=, in, intersects, pmatch, contains, \
                                 icontains, startswith, endswith, glob, regex, exists)";

impl<'s, 'r> Parser<'s, 'r> {
    pub fn new(src: &'s str, schema: &'r dyn Schema, resolver: &'r dyn Resolver) -> Self {
        Parser {
            lx: Lexer::new(src),
            schema,
            resolver,
        }
    }

    /// The whole source as one condition.
    pub fn parse(mut self) -> Result<Parsed, ParseError> {
        let parsed = self.or(0)?;
        self.lx.skip_ws();
        if self.lx.peek().is_some() {
            return Err(self.lx.error("`and`, `or` or end of input", self.lx.pos()));
        }
        Ok(parsed)
    }

    fn or(&mut self, depth: usize) -> Result<Parsed, ParseError> {
        let first = self.and(depth)?;
        let mut rest = Vec::new();
        loop {
            self.lx.skip_ws();
            if !self.lx.eat_keyword("or") {
                break;
            }
            rest.push(self.and(depth)?);
        }
        if rest.is_empty() {
            return Ok(first);
        }
        let (nodes, conds) = std::iter::once(first)
            .chain(rest)
            .map(|p| (p.node, p.cond))
            .unzip();
        Ok(Parsed {
            node: Node::Or(nodes),
            cond: Cond::Or(conds),
            clauses: None,
        })
    }

    fn and(&mut self, depth: usize) -> Result<Parsed, ParseError> {
        let mut spans = Vec::new();
        let mut operands = Vec::new();
        loop {
            self.lx.skip_ws();
            let start = self.lx.pos();
            operands.push(self.unary(depth)?);
            spans.push(start..self.lx.last_end());
            self.lx.skip_ws();
            if !self.lx.eat_keyword("and") {
                break;
            }
        }
        if operands.len() == 1 {
            return Ok(operands.remove(0));
        }
        let (nodes, conds) = operands.into_iter().map(|p| (p.node, p.cond)).unzip();
        Ok(Parsed {
            node: Node::And(nodes),
            cond: Cond::And(conds),
            clauses: Some(spans),
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Parsed, ParseError> {
        self.lx.skip_ws();
        let start = self.lx.pos();
        let nests = self.lx.peek() == Some('(') || self.lx.peek_word() == "not";
        if nests && depth >= MAX_DEPTH {
            return Err(self.lx.error(
                format!("at most {MAX_DEPTH} nested parentheses and `not`s"),
                start,
            ));
        }
        if self.lx.eat('(') {
            let inner = self.or(depth + 1)?;
            self.lx.skip_ws();
            if !self.lx.eat(')') {
                return Err(self.lx.error("`and`, `or` or `)`", self.lx.pos()));
            }
            return Ok(inner);
        }
        if self.lx.eat_keyword("not") {
            let operand = self.unary(depth + 1)?;
            return Ok(Parsed {
                node: Node::Not(Box::new(operand.node)),
                cond: Cond::Not(Box::new(operand.cond)),
                clauses: None,
            });
        }
        self.condition()
    }

    /// `field exists`, `field op value`, `field in (…)`, or a macro name.
    fn condition(&mut self) -> Result<Parsed, ParseError> {
        let start = self.lx.pos();
        let expected_condition = "a field, `not` or `(`";
        let name = match self.lx.ident() {
            Some("and" | "or") | None => return Err(self.lx.error(expected_condition, start)),
            Some(name) => name,
        };
        let arg = if self.lx.eat('[') {
            Some(self.lx.bracket_arg()?.to_owned())
        } else {
            None
        };
        let field = Field {
            name: name.to_owned(),
            arg,
        };
        self.lx.skip_ws();
        let op_start = self.lx.pos();
        let Some(op) = self.lx.operator() else {
            return self.macro_or_error(field, start, op_start);
        };
        let ftype = self
            .schema
            .field_type(name)
            .ok_or_else(|| ParseError::at(self.lx.src(), start, "a known field", quoted(name)))?;
        let (node, test) = match op {
            Operator::Exists => (Node::Exists(field.clone()), Ok(Test::exists(&field, ftype))),
            Operator::Compare(op) => {
                self.lx.skip_ws();
                let value_start = self.lx.pos();
                let value = self
                    .lx
                    .value()?
                    .ok_or_else(|| self.lx.error("a value", value_start))?;
                let test = Test::compare(&field, ftype, op, &value.text)
                    .map_err(|e| self.literal_error(e, &[value.start]));
                let node = Node::Compare {
                    field,
                    op,
                    value: value.text,
                };
                (node, test)
            }
            Operator::Set(op) => {
                let (items, starts) = self.list()?;
                let test = Test::set(&field, ftype, op, &items)
                    .map_err(|e| self.literal_error(e, &starts));
                (Node::Set { field, op, items }, test)
            }
        };
        Ok(Parsed {
            node,
            cond: Cond::Test(Box::new(test?)),
            clauses: None,
        })
    }

    /// A lone identifier: a macro when the resolver knows it, else the error that fits.
    fn macro_or_error(
        &mut self,
        field: Field,
        start: usize,
        op_start: usize,
    ) -> Result<Parsed, ParseError> {
        if field.arg.is_none() {
            if let Some(node) = self.resolver.macro_condition(&field.name) {
                let cond = eval::compile(&node, self.schema).map_err(|e| {
                    ParseError::at(
                        self.lx.src(),
                        start,
                        format!("{} in macro `{}`", e.expected, field.name),
                        e.found,
                    )
                })?;
                return Ok(Parsed {
                    node,
                    cond,
                    clauses: None,
                });
            }
        }
        if self.schema.field_type(&field.name).is_none() {
            return Err(ParseError::at(
                self.lx.src(),
                start,
                "a known field",
                quoted(&field.name),
            ));
        }
        Err(self.lx.error(EXPECTED_OPERATOR, op_start))
    }

    /// `(item, …)`, named lists expanded; the items and the byte offset each came from.
    fn list(&mut self) -> Result<(Vec<String>, Vec<usize>), ParseError> {
        self.lx.skip_ws();
        if !self.lx.eat('(') {
            return Err(self.lx.error("`(`", self.lx.pos()));
        }
        let mut items = Vec::new();
        let mut starts = Vec::new();
        self.lx.skip_ws();
        if self.lx.eat(')') {
            return Ok((items, starts));
        }
        loop {
            self.lx.skip_ws();
            let item_start = self.lx.pos();
            let item = self
                .lx
                .value()?
                .ok_or_else(|| self.lx.error("a value", item_start))?;
            match (!item.quoted)
                .then(|| self.resolver.list_items(&item.text))
                .flatten()
            {
                Some(named) => {
                    starts.extend(std::iter::repeat_n(item.start, named.len()));
                    items.extend(named);
                }
                None => {
                    starts.push(item.start);
                    items.push(item.text);
                }
            }
            self.lx.skip_ws();
            if self.lx.eat(')') {
                return Ok((items, starts));
            }
            if !self.lx.eat(',') {
                return Err(self.lx.error("`,` or `)`", self.lx.pos()));
            }
        }
    }

    /// A literal the field's type does not accept, at the literal's column.
    fn literal_error(&self, e: eval::CompileError, starts: &[usize]) -> ParseError {
        let pos = starts.get(e.index).copied().unwrap_or(0);
        ParseError::at(self.lx.src(), pos, e.expected, e.found)
    }
}
