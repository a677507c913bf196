//! Falco's rules files for the `k8s_audit` source: YAML lists of `rule`, `macro` and `list`
//! items, with `append`, `override`, `exceptions`, `enabled`, `priority`, `tags` and
//! `source`; `required_engine_version` and `required_plugin_versions` are accepted and
//! ignored; rules of other sources are skipped (their appends and overrides too).
//!
//! Files are read in order, later items changing earlier ones as in Falco; then every rule of
//! the `k8s_audit` source is compiled (its macros and lists expanded, its exceptions added as
//! `and not (…)`, its output checked). Every problem is reported, each with its file, line
//! and item.

mod collect;
mod error;
mod exceptions;
mod resolve;

use falconer_event::Priority;
use falconer_expr::ast::Node;
use falconer_expr::Expr;

use crate::fields::K8sAuditSchema;
use crate::output::OutputFormat;
use collect::{Defs, RuleDef};
use exceptions::one_or;
use resolve::{syntax_error, DefsResolver};

pub use error::{LoadError, LoadErrors};

/// One rules file: a name for messages (its path) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFile {
    /// The path, or `<embedded>`.
    pub name: String,
    /// The YAML text.
    pub text: String,
}

/// A compiled `k8s_audit` rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule's name (the alert's `rule`).
    pub name: String,
    /// `desc`.
    pub desc: String,
    /// The condition, macros, lists and exceptions resolved.
    pub condition: Expr,
    /// The output format.
    pub output: OutputFormat,
    /// The alert's priority.
    pub priority: Priority,
    /// The alert's tags, sorted, without repeats.
    pub tags: Vec<String>,
    /// Whether the rule is evaluated (`enabled: false` rules are compiled, not evaluated).
    pub enabled: bool,
}

/// Which rules fire for one event: Falco's `rule_matching`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuleMatching {
    /// Only the first matching rule, in load order (Falco's default).
    #[default]
    First,
    /// Every matching rule.
    All,
}

impl std::str::FromStr for RuleMatching {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "first" | "" => Ok(RuleMatching::First),
            "all" => Ok(RuleMatching::All),
            other => Err(format!("rule matching must be first or all, not {other:?}")),
        }
    }
}

/// The compiled rules of a set of files, in load order.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    warnings: Vec<String>,
}

impl RuleSet {
    /// Loads `files` in order. Fails with every problem found.
    pub fn load(files: &[RuleFile]) -> Result<RuleSet, LoadErrors> {
        let mut defs = Defs::default();
        for file in files {
            defs.read_file(&file.name, &file.text);
        }
        let mut errors = std::mem::take(&mut defs.errors);
        for name in &defs.macro_order {
            if let Some(def) = defs.macros.get(name) {
                if let Some(e) = syntax_error(&def.value) {
                    errors.push(LoadError::at(
                        &def.loc,
                        Some(format!("macro {name:?}")),
                        format!("condition: {e}"),
                    ));
                }
            }
        }
        let resolver = DefsResolver::new(&defs);
        let mut rules = Vec::new();
        let mut skipped = Vec::new();
        for def in &defs.rules {
            match compile(def, &resolver) {
                Ok(rule) => rules.push(rule),
                Err(message) if def.skip_if_unknown && message.contains("a known field") => {
                    skipped.push(format!(
                        "{}: rule {:?} skipped (skip-if-unknown-filter): {message}",
                        def.loc.file, def.name
                    ));
                }
                Err(message) => errors.push(LoadError::at(
                    &def.loc,
                    Some(format!("rule {:?}", def.name)),
                    message,
                )),
            }
        }
        for e in resolver.errors.into_inner() {
            if !errors.contains(&e) {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            let mut warnings = defs.warnings;
            warnings.extend(skipped);
            Ok(RuleSet { rules, warnings })
        } else {
            Err(LoadErrors(errors))
        }
    }

    /// Every compiled rule, enabled or not, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rules that are evaluated, in load order.
    pub fn enabled(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.enabled)
    }

    /// What was accepted but ignored (unknown keys).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

fn compile(def: &RuleDef, resolver: &DefsResolver<'_>) -> Result<Rule, String> {
    let condition = Expr::parse_with(&def.condition, &K8sAuditSchema, resolver)
        .map_err(|e| format!("condition: {e}"))?;
    let mut excluded = Vec::new();
    for exception in &def.exceptions {
        match exception.node(resolver)? {
            Some(Node::Or(alternatives)) => excluded.extend(alternatives),
            Some(node) => excluded.push(node),
            None => {}
        }
    }
    let condition = if excluded.is_empty() {
        condition
    } else {
        let node = Node::And(vec![
            condition.ast().clone(),
            one_or(excluded, Node::Or).not(),
        ]);
        Expr::from_ast(&node, &K8sAuditSchema).map_err(|e| format!("exceptions: {e}"))?
    };
    let output = OutputFormat::parse(&def.output).map_err(|e| format!("output: {e}"))?;
    let mut tags = def.tags.clone();
    tags.sort();
    tags.dedup();
    Ok(Rule {
        name: def.name.clone(),
        desc: def.desc.clone(),
        condition,
        output,
        priority: def.priority,
        tags,
        enabled: def.enabled,
    })
}

#[cfg(test)]
mod tests;
