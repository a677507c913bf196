//! A rule's `output`: text with `%field` references, rendered as Falco renders it (`<NA>` for
//! a missing value, `(a,b)` for a list) and collected into `output_fields` as Falco types them
//! (strings, lists as arrays, missing as `null`, `evt.time`/`evt.rawtime` as numbers).

use falconer_expr::{Fields, Value};
use serde_json::{Map, Value as Json};

use crate::event::AuditEvent;
use crate::fields::{field_info, FieldArg};

/// A compiled output format.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputFormat {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Field {
        name: &'static str,
        arg: Option<String>,
        /// The output_fields key: `name` or `name[arg]`.
        key: String,
    },
}

/// A `%field` the source does not have, or a bracket left open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct FormatError {
    /// 1-based character column in the output text.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

fn is_field_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

impl OutputFormat {
    /// Compiles `text`: each `%name` is the longest known field name at that point, with its
    /// `[arg]` when one follows. A `%` not followed by a field name character stays text.
    pub fn parse(text: &str) -> Result<OutputFormat, FormatError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(pct) = rest.find('%') {
            literal.push_str(&rest[..pct]);
            let after = &rest[pct + 1..];
            let run = after.find(|c| !is_field_char(c)).unwrap_or(after.len());
            if run == 0 {
                literal.push('%');
                rest = after;
                continue;
            }
            let column = text[..text.len() - after.len()].chars().count();
            let name = (1..=run)
                .rev()
                .map(|len| &after[..len])
                .find_map(field_info)
                .ok_or_else(|| FormatError {
                    column,
                    message: format!("unknown field `{}` in output", &after[..run]),
                })?;
            let mut consumed = name.name.len();
            let mut arg = None;
            if name.arg != FieldArg::No && after[consumed..].starts_with('[') {
                let close = after[consumed..].find(']').ok_or_else(|| FormatError {
                    column,
                    message: format!("`[` after `%{}` is not closed", name.name),
                })?;
                arg = Some(after[consumed + 1..consumed + close].to_owned());
                consumed += close + 1;
            }
            if name.arg == FieldArg::Required && arg.is_none() {
                return Err(FormatError {
                    column,
                    message: format!("`%{}` needs an argument in brackets", name.name),
                });
            }
            if !literal.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut literal)));
            }
            let key = match &arg {
                Some(arg) => format!("{}[{arg}]", name.name),
                None => name.name.to_owned(),
            };
            parts.push(Part::Field {
                name: name.name,
                arg,
                key,
            });
            rest = &after[consumed..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(OutputFormat { parts })
    }

    /// The output text for `event`, and its fields added to `fields`.
    pub fn render(
        &self,
        event: &AuditEvent,
        time_text: &str,
        fields: &mut Map<String, Json>,
    ) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Field { name, arg, key } => {
                    let value = event.field(name, arg.as_deref());
                    if *name == "evt.time" {
                        out.push_str(time_text);
                    } else {
                        push_text(&mut out, &value);
                    }
                    fields.insert(key.clone(), to_json(&value));
                }
            }
        }
        out
    }

    /// The output_fields keys, in order of appearance (repeats included).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Field { key, .. } => Some(key.as_str()),
            Part::Text(_) => None,
        })
    }
}

/// Falco's text for a value: `<NA>` when missing, `(a,b)` for a list.
fn push_text(out: &mut String, value: &Value<'_>) {
    match value {
        Value::Missing => out.push_str("<NA>"),
        Value::Str(s) => out.push_str(s),
        Value::Owned(s) => out.push_str(s),
        Value::List([]) => out.push_str("<NA>"),
        Value::List(items) => {
            out.push('(');
            out.push_str(&items.join(","));
            out.push(')');
        }
        Value::Num(n) => out.push_str(&format_number(*n)),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Rank(r) => out.push_str(&r.to_string()),
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e18 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// Falco's output_fields value: `null` when missing, an array for a list.
fn to_json(value: &Value<'_>) -> Json {
    match value {
        Value::Missing => Json::Null,
        Value::Str(s) => Json::String((*s).to_owned()),
        Value::Owned(s) => Json::String(s.clone()),
        Value::List([]) => Json::Null,
        Value::List(items) => Json::Array(items.iter().cloned().map(Json::String).collect()),
        Value::Num(n) => format_number(*n)
            .parse::<serde_json::Number>()
            .map_or(Json::Null, Json::Number),
        Value::Bool(b) => Json::Bool(*b),
        Value::Rank(r) => Json::from(*r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        OutputFormat::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .keys()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn fields_are_the_longest_known_names_with_their_arguments() {
        assert_eq!(
            keys("user=%ka.user.name target=%ka.target.name/%ka.target.resource."),
            ["ka.user.name", "ka.target.name", "ka.target.resource"]
        );
        assert_eq!(
            keys("cmd=%ka.uri.param[command] v=%jevt.value[/requestObject/spec/volumes]"),
            [
                "ka.uri.param[command]",
                "jevt.value[/requestObject/spec/volumes]"
            ]
        );
        assert_eq!(
            keys("img=%ka.req.pod.containers.image[0] 100% %"),
            ["ka.req.pod.containers.image[0]"]
        );
        // `[` after a field without argument is text.
        assert_eq!(keys("%ka.verb[x]"), ["ka.verb"]);
    }

    #[test]
    fn unknown_fields_and_missing_arguments_are_errors_with_their_column() {
        let err = OutputFormat::parse("user=%proc.name").unwrap_err();
        assert_eq!(err.column, 6);
        assert!(err.message.contains("proc.name"), "{err}");
        let err = OutputFormat::parse("x %ka.uri.param y").unwrap_err();
        assert_eq!(err.column, 3);
        let err = OutputFormat::parse("x %jevt.value[/a").unwrap_err();
        assert!(err.message.contains("not closed"), "{err}");
    }
}
