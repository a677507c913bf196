//! Reading rules files into definitions: rules, macros and lists as written, with `append`,
//! `override`, redefinition and `enabled`-only items applied in file order (Falco's rules).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use falconer_event::Priority;
use serde_yaml_ng::{Mapping, Value as Yaml};

use super::error::{item_lines, LoadError, Loc};
use super::exceptions::ExceptionDef;
use crate::SOURCE;

/// A rule as defined (and appended to) so far.
#[derive(Debug, Clone)]
pub(crate) struct RuleDef {
    pub name: String,
    pub condition: String,
    pub output: String,
    pub desc: String,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub enabled: bool,
    pub exceptions: Vec<ExceptionDef>,
    /// `skip-if-unknown-filter`: a condition naming a field this source lacks skips the
    /// rule (with a warning) instead of failing the load.
    pub skip_if_unknown: bool,
    pub loc: Loc,
}

/// A macro or a list as defined so far.
#[derive(Debug, Clone)]
pub(crate) struct Def<T> {
    pub value: T,
    pub loc: Loc,
}

/// Everything the files define, in order.
#[derive(Debug, Default)]
pub(crate) struct Defs {
    pub rules: Vec<RuleDef>,
    rule_index: HashMap<String, usize>,
    /// Rules of other sources: skipped, and so are their appends and overrides.
    other_rules: HashSet<String>,
    pub macros: HashMap<String, Def<String>>,
    /// Macro names in definition order.
    pub macro_order: Vec<String>,
    pub lists: HashMap<String, Def<Vec<String>>>,
    pub errors: Vec<LoadError>,
    pub warnings: Vec<String>,
}

/// The text of a YAML scalar (strings, numbers, booleans); `None` otherwise.
pub(crate) fn scalar(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A list of scalars (a single scalar counts as a list of one; null as empty).
pub(crate) fn scalars(v: &Yaml) -> Option<Vec<String>> {
    match v {
        Yaml::Null => Some(Vec::new()),
        Yaml::Sequence(items) => items.iter().map(scalar).collect(),
        other => scalar(other).map(|s| vec![s]),
    }
}

fn get<'a>(map: &'a Mapping, key: &str) -> Option<&'a Yaml> {
    map.get(key)
}

/// How a key of an override item is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    Append,
    Replace,
}

const RULE_KEYS: &[&str] = &[
    "rule",
    "desc",
    "condition",
    "output",
    "priority",
    "source",
    "tags",
    "enabled",
    "exceptions",
    "append",
    "override",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
];

impl Defs {
    /// Reads one file's items.
    pub fn read_file(&mut self, file: &str, text: &str) {
        let file: Arc<str> = Arc::from(file);
        let doc: Yaml = match serde_yaml_ng::from_str(text) {
            Ok(doc) => doc,
            Err(e) => {
                self.errors.push(LoadError {
                    file: file.to_string(),
                    line: e.location().map(|l| l.line()),
                    item: None,
                    message: format!("invalid YAML: {e}"),
                });
                return;
            }
        };
        let items = match doc {
            Yaml::Null => return,
            Yaml::Sequence(items) => items,
            _ => {
                self.errors.push(LoadError {
                    file: file.to_string(),
                    line: Some(1),
                    item: None,
                    message: "a rules file is a YAML list of rule, macro and list items".to_owned(),
                });
                return;
            }
        };
        let lines = item_lines(text);
        let lines_known = lines.len() == items.len();
        for (index, item) in items.iter().enumerate() {
            let loc = Loc {
                file: file.clone(),
                line: lines_known.then(|| lines[index]),
                index,
            };
            self.read_item(item, loc);
        }
    }

    fn read_item(&mut self, item: &Yaml, loc: Loc) {
        let Some(map) = item.as_mapping() else {
            self.errors
                .push(LoadError::at(&loc, None, "an item must be a mapping"));
            return;
        };
        let result = if map.contains_key("rule") {
            self.rule_item(map, &loc)
        } else if map.contains_key("macro") {
            self.named_item(map, &loc, "macro")
        } else if map.contains_key("list") {
            self.named_item(map, &loc, "list")
        } else if map.contains_key("required_engine_version")
            || map.contains_key("required_plugin_versions")
        {
            Ok(())
        } else {
            Err(LoadError::at(
                &loc,
                None,
                "unknown item: expected rule, macro, list, required_engine_version or \
                 required_plugin_versions",
            ))
        };
        if let Err(e) = result {
            self.errors.push(e);
        }
    }

    fn rule_item(&mut self, map: &Mapping, loc: &Loc) -> Result<(), LoadError> {
        let name = get(map, "rule").and_then(scalar).unwrap_or_default();
        let item = Some(format!("rule {name:?}"));
        let fail = |message: String| LoadError::at(loc, item.clone(), message);
        if name.is_empty() {
            return Err(fail("`rule` must be a non-empty string".into()));
        }
        for key in map.keys() {
            let key = scalar(key).unwrap_or_default();
            if !RULE_KEYS.contains(&key.as_str()) {
                self.warnings.push(format!(
                    "{}: unknown key `{key}` ignored",
                    located(loc, &item)
                ));
            }
        }
        let append = bool_key(map, "append").map_err(fail)?.unwrap_or(false);
        let overrides = read_override(map, "rule").map_err(fail)?;
        if append && overrides.is_some() {
            return Err(fail(
                "`append` and `override` cannot be used together".into(),
            ));
        }
        let existing = self.rule_index.get(&name).copied();
        let keys: Vec<String> = map.keys().filter_map(scalar).collect();
        let only_enabled = keys
            .iter()
            .all(|k| matches!(k.as_str(), "rule" | "enabled" | "source"))
            && keys.iter().any(|k| k == "enabled");
        if append || overrides.is_some() || (only_enabled && existing.is_some()) {
            let Some(index) = existing else {
                if self.other_rules.contains(&name) {
                    return Ok(());
                }
                return Err(fail(
                    "appends to or overrides a rule no earlier item defines".into(),
                ));
            };
            let overrides = match overrides {
                Some(o) => o,
                None if append => keys
                    .iter()
                    .filter(|k| !matches!(k.as_str(), "rule" | "append" | "source"))
                    .map(|k| {
                        let how = match k.as_str() {
                            "condition" | "output" | "desc" | "tags" | "exceptions" => How::Append,
                            _ => How::Replace,
                        };
                        (k.clone(), how)
                    })
                    .collect(),
                None => vec![("enabled".to_owned(), How::Replace)],
            };
            return self.apply_rule_changes(index, map, &overrides, loc, &item);
        }
        if only_enabled {
            if self.other_rules.contains(&name) {
                return Ok(());
            }
            return Err(fail(
                "enables or disables a rule no earlier item defines".into(),
            ));
        }
        let source = get(map, "source")
            .and_then(scalar)
            .unwrap_or_else(|| "syscall".into());
        if source != SOURCE {
            self.other_rules.insert(name);
            return Ok(());
        }
        let text = |key: &str| get(map, key).and_then(scalar);
        let missing: Vec<&str> = ["condition", "output", "priority"]
            .into_iter()
            .filter(|k| text(k).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(fail(format!("missing {}", missing.join(", "))));
        }
        let def = RuleDef {
            name: name.clone(),
            condition: text("condition").unwrap_or_default(),
            output: text("output").unwrap_or_default().trim().to_owned(),
            desc: text("desc").unwrap_or_default(),
            priority: parse_priority(map).map_err(fail)?,
            tags: tags(map).map_err(fail)?,
            enabled: bool_key(map, "enabled").map_err(fail)?.unwrap_or(true),
            exceptions: ExceptionDef::read_all(get(map, "exceptions")).map_err(fail)?,
            skip_if_unknown: bool_key(map, "skip-if-unknown-filter")
                .map_err(fail)?
                .unwrap_or(false),
            loc: loc.clone(),
        };
        match existing {
            Some(index) => self.rules[index] = def,
            None => {
                self.rule_index.insert(name, self.rules.len());
                self.rules.push(def);
            }
        }
        Ok(())
    }

    fn apply_rule_changes(
        &mut self,
        index: usize,
        map: &Mapping,
        overrides: &[(String, How)],
        loc: &Loc,
        item: &Option<String>,
    ) -> Result<(), LoadError> {
        let fail = |message: String| LoadError::at(loc, item.clone(), message);
        for key in map.keys().filter_map(scalar) {
            let listed = overrides.iter().any(|(k, _)| *k == key);
            if !listed && !matches!(key.as_str(), "rule" | "append" | "override" | "source") {
                return Err(fail(format!(
                    "`{key}` is given but `override` does not say whether to append or replace it"
                )));
            }
        }
        let mut def = self.rules[index].clone();
        for (key, how) in overrides {
            let value = get(map, key).ok_or_else(|| {
                fail(format!(
                    "`override` names `{key}` but the item has no `{key}`"
                ))
            })?;
            let text = || scalar(value).ok_or_else(|| fail(format!("`{key}` must be a string")));
            match (key.as_str(), how) {
                ("condition", How::Append) => {
                    def.condition = format!("{} {}", def.condition, text()?)
                }
                ("condition", How::Replace) => def.condition = text()?,
                ("output", How::Append) => {
                    def.output = format!("{} {}", def.output, text()?.trim())
                }
                ("output", How::Replace) => def.output = text()?.trim().to_owned(),
                ("desc", How::Append) => def.desc = format!("{} {}", def.desc, text()?),
                ("desc", How::Replace) => def.desc = text()?,
                ("tags", how) => {
                    let new = tags(map).map_err(fail)?;
                    if *how == How::Replace {
                        def.tags.clear();
                    }
                    def.tags.extend(new);
                }
                ("priority", How::Replace) => def.priority = parse_priority(map).map_err(fail)?,
                ("enabled", How::Replace) => {
                    def.enabled = bool_key(map, "enabled").map_err(fail)?.unwrap_or(true)
                }
                ("exceptions", How::Append) => {
                    let new = ExceptionDef::read_all(Some(value)).map_err(fail)?;
                    ExceptionDef::append(&mut def.exceptions, new).map_err(fail)?;
                }
                ("exceptions", How::Replace) => {
                    def.exceptions = ExceptionDef::read_all(Some(value)).map_err(fail)?
                }
                ("skip-if-unknown-filter", How::Replace) => {
                    def.skip_if_unknown = bool_key(map, "skip-if-unknown-filter")
                        .map_err(fail)?
                        .unwrap_or(false)
                }
                ("warn_evttypes" | "capture" | "capture_duration", _) => {}
                (key, How::Append) => return Err(fail(format!("`{key}` cannot be appended"))),
                (key, How::Replace) => return Err(fail(format!("`{key}` cannot be replaced"))),
            }
        }
        self.rules[index] = def;
        Ok(())
    }

    /// A macro (`condition`) or a list (`items`).
    fn named_item(&mut self, map: &Mapping, loc: &Loc, kind: &str) -> Result<(), LoadError> {
        let name = get(map, kind).and_then(scalar).unwrap_or_default();
        let item = Some(format!("{kind} {name:?}"));
        let fail = |message: String| LoadError::at(loc, item.clone(), message);
        if name.is_empty() {
            return Err(fail(format!("`{kind}` must be a non-empty string")));
        }
        let key = if kind == "macro" {
            "condition"
        } else {
            "items"
        };
        let append = bool_key(map, "append").map_err(fail)?.unwrap_or(false);
        let how = match read_override(map, kind).map_err(fail)? {
            Some(o) if append => {
                let _ = o;
                return Err(fail(
                    "`append` and `override` cannot be used together".into(),
                ));
            }
            Some(o) => match o.as_slice() {
                [(k, how)] if k == key => *how,
                _ => return Err(fail(format!("`override` may only name `{key}`"))),
            },
            None if append => How::Append,
            None => How::Replace,
        };
        let value = get(map, key).ok_or_else(|| fail(format!("missing {key}")))?;
        if kind == "macro" {
            let text = scalar(value).ok_or_else(|| fail("`condition` must be a string".into()))?;
            let exists = self.macros.contains_key(&name);
            let merged = match (how, self.macros.get(&name)) {
                (How::Append, Some(old)) => format!("{} {text}", old.value),
                (How::Append, None) => {
                    return Err(fail("appends to a macro no earlier item defines".into()))
                }
                (How::Replace, _) => text,
            };
            let loc = match (how, self.macros.get(&name)) {
                (How::Append, Some(old)) => old.loc.clone(),
                _ => loc.clone(),
            };
            if !exists {
                self.macro_order.push(name.clone());
            }
            self.macros.insert(name, Def { value: merged, loc });
        } else {
            let items =
                scalars(value).ok_or_else(|| fail("`items` must be a list of strings".into()))?;
            match (how, self.lists.get_mut(&name)) {
                (How::Append, Some(old)) => old.value.extend(items),
                (How::Append, None) => {
                    return Err(fail("appends to a list no earlier item defines".into()))
                }
                (How::Replace, _) => {
                    self.lists.insert(
                        name,
                        Def {
                            value: items,
                            loc: loc.clone(),
                        },
                    );
                }
            }
        }
        Ok(())
    }
}

/// `FILE:LINE: ITEM`, for warnings.
fn located(loc: &Loc, item: &Option<String>) -> String {
    let mut s = loc.file.to_string();
    if let Some(line) = loc.line {
        s.push_str(&format!(":{line}"));
    }
    if let Some(item) = item {
        s.push_str(&format!(": {item}"));
    }
    s
}

fn bool_key(map: &Mapping, key: &str) -> Result<Option<bool>, String> {
    match get(map, key) {
        None | Some(Yaml::Null) => Ok(None),
        Some(Yaml::Bool(b)) => Ok(Some(*b)),
        Some(Yaml::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Yaml::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(format!("`{key}` must be true or false")),
    }
}

fn parse_priority(map: &Mapping) -> Result<Priority, String> {
    let text = get(map, "priority").and_then(scalar).unwrap_or_default();
    text.trim()
        .parse()
        .map_err(|_| format!("unknown priority {text:?}"))
}

fn tags(map: &Mapping) -> Result<Vec<String>, String> {
    get(map, "tags")
        .map_or(Some(Vec::new()), scalars)
        .ok_or_else(|| "`tags` must be a list of strings".to_owned())
}

/// `override: {key: append|replace, …}`.
fn read_override(map: &Mapping, _kind: &str) -> Result<Option<Vec<(String, How)>>, String> {
    let Some(value) = get(map, "override") else {
        return Ok(None);
    };
    let Some(entries) = value.as_mapping() else {
        return Err("`override` must map keys to append or replace".into());
    };
    entries
        .iter()
        .map(|(k, v)| {
            let key = scalar(k).ok_or("`override` keys must be strings")?;
            let how = match scalar(v).as_deref() {
                Some("append") => How::Append,
                Some("replace") => How::Replace,
                _ => return Err(format!("`override.{key}` must be append or replace")),
            };
            Ok((key, how))
        })
        .collect::<Result<Vec<_>, String>>()
        .map(Some)
}
