//! Enrichment, in falcosidekick's order (customfields, customtags, source defaults, uuid,
//! templatedfields, tag sort, bracketreplacer, outputfieldformat, truncation). Pure: the only
//! inputs are the alert, the settings and the UUID handed in.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;
use uuid::Uuid;

use crate::alert::Alert;
use crate::template::{GoTemplate, TemplateError};

/// Serialized alerts longer than this get their long string fields truncated.
pub const TRUNCATE_ABOVE_BYTES: usize = 4096;
/// String fields longer than this are truncated (when the alert is over the limit above).
pub const TRUNCATE_FIELD_BYTES: usize = 512;
/// Truncated fields keep this many bytes, then [`TRUNCATION_MARKER`].
pub const TRUNCATE_KEEP_BYTES: usize = 507;
/// Appended to a truncated field.
pub const TRUNCATION_MARKER: &str = "[...]";

/// Global enrichment settings, as read from the config (already resolved: `%ENVVAR` values
/// of customfields are looked up by the config loader).
#[derive(Debug, Default, Clone)]
pub struct EnrichSettings {
    /// `customfields`: written into every alert's output_fields (overwriting).
    pub custom_fields: Vec<(String, String)>,
    /// `customtags`: appended to every alert's tags.
    pub custom_tags: Vec<String>,
    /// `templatedfields`: key → Go template rendered with the output fields.
    pub templated_fields: Vec<(String, String)>,
    /// `bracketreplacer`: replaces `[` in output field names (`proc.aname[2]` → `proc.aname_2`).
    pub bracket_replacer: String,
    /// `outputfieldformat`: rewrites `output`, e.g. `"<timestamp>: <priority> <output> <custom_fields>"`.
    pub output_field_format: String,
}

/// Enrichment with its templates parsed once.
#[derive(Debug)]
pub struct Enricher {
    custom_fields: Vec<(String, Value)>,
    custom_fields_text: String,
    custom_tags: Vec<String>,
    templated_fields: Vec<(String, GoTemplate)>,
    bracket_replacer: Option<String>,
    output_field_format: Option<String>,
}

/// A `templatedfields` entry whose template does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("templatedfields.{key}: {error}")]
pub struct EnrichSetupError {
    /// The templated field's key.
    pub key: String,
    /// The parse error.
    pub error: TemplateError,
}

impl Enricher {
    /// Prepares enrichment; fails on the first template that does not parse.
    pub fn new(settings: &EnrichSettings) -> Result<Self, EnrichSetupError> {
        let mut custom_fields = settings.custom_fields.clone();
        custom_fields.sort();
        let custom_fields_text =
            join_pairs(custom_fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let templated_fields = settings
            .templated_fields
            .iter()
            .map(|(key, src)| {
                GoTemplate::parse(src)
                    .map(|t| (key.clone(), t))
                    .map_err(|error| EnrichSetupError {
                        key: key.clone(),
                        error,
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Enricher {
            custom_fields: custom_fields
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
            custom_fields_text,
            custom_tags: settings.custom_tags.clone(),
            templated_fields,
            bracket_replacer: Some(settings.bracket_replacer.clone()).filter(|s| !s.is_empty()),
            output_field_format: Some(settings.output_field_format.clone())
                .filter(|s| !s.is_empty()),
        })
    }

    /// Keys that enrichment adds to every alert (customfields, then templatedfields).
    pub fn added_field_keys(&self) -> impl Iterator<Item = &str> {
        self.custom_fields
            .iter()
            .map(|(k, _)| k.as_str())
            .chain(self.templated_fields.iter().map(|(k, _)| k.as_str()))
    }

    /// Applies every step to `alert`, with `uuid` as its new id. Template render errors do not
    /// reject the alert (falcosidekick stores what rendered); they are returned for logging.
    pub fn enrich(&self, alert: &mut Alert, uuid: Uuid) -> Vec<(String, TemplateError)> {
        for (k, v) in &self.custom_fields {
            alert.output_fields.insert(k.clone(), v.clone());
        }
        alert.tags.extend(self.custom_tags.iter().cloned());
        if alert.is_test() {
            alert.source = "internal".to_owned();
        } else if alert.source.is_empty() {
            alert.source = "syscalls".to_owned();
        }
        alert.uuid = uuid.to_string();

        let mut errors = Vec::new();
        let mut templated_text = Vec::with_capacity(self.templated_fields.len());
        if !self.templated_fields.is_empty() {
            let data = crate::template::fields_to_template_value(&alert.output_fields);
            for (key, template) in &self.templated_fields {
                let rendered = match template.render(&data) {
                    Ok(s) => s,
                    Err(e) => {
                        errors.push((key.clone(), e));
                        String::new()
                    }
                };
                templated_text.push((key.clone(), rendered.clone()));
                alert
                    .output_fields
                    .insert(key.clone(), Value::String(rendered));
            }
        }
        alert.tags.sort();

        if let Some(replacer) = &self.bracket_replacer {
            replace_brackets(alert, replacer);
        }
        if let Some(format) = &self.output_field_format {
            let templated =
                join_pairs(templated_text.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            apply_output_format(alert, format, &self.custom_fields_text, &templated);
        }
        truncate_long_fields(alert);
        errors
    }
}

fn join_pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `bracketreplacer`: `proc.aname[2]` → `proc.aname_2` with `_`.
fn replace_brackets(alert: &mut Alert, replacer: &str) {
    let renamed: Vec<String> = alert
        .output_fields
        .keys()
        .filter(|k| k.contains('['))
        .cloned()
        .collect();
    for old in renamed {
        if let Some(value) = alert.output_fields.remove(&old) {
            let new = old.replace(']', "").replace('[', replacer);
            alert.output_fields.insert(new, value);
        }
    }
}

fn output_prefix_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?i)^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+: (debug|informational|notice|warning|error|critical|alert|emergency) ",
        )
        .expect("static regex compiles")
    })
}

/// `outputfieldformat`: rewrites `output` when it starts with Falco's `HH:MM:SS.n: Priority`.
fn apply_output_format(alert: &mut Alert, format: &str, custom: &str, templated: &str) {
    if !output_prefix_regex().is_match(&alert.output) {
        return;
    }
    let tokens: Vec<&str> = alert.output.split(' ').collect();
    let timestamp = tokens
        .first()
        .map(|t| t.trim_end_matches(':'))
        .unwrap_or_default();
    let rest = tokens.get(2..).map(|t| t.join(" ")).unwrap_or_default();
    let mut out = format
        .replace("<timestamp>", timestamp)
        .replace("<priority>", alert.priority.as_str())
        .replace("<output>", &rest)
        .replace("<custom_fields>", custom)
        .replace("<templated_fields>", templated)
        .replace("<tags>", &alert.tags.join(","));
    loop {
        let trimmed = out
            .strip_suffix(' ')
            .or_else(|| out.strip_suffix("( )"))
            .or_else(|| out.strip_suffix("()"));
        match trimmed {
            Some(t) => out = t.to_owned(),
            None => break,
        }
    }
    alert.output = out;
}

/// The 4096/512 rule: when the serialized alert is over 4096 bytes, every string output field
/// over 512 bytes is cut to 507 bytes + `[...]`, and the same cut is made inside `output`.
///
/// The size is computed without rendering the JSON: the payload is rendered once, when an
/// output first asks for it (outputs that send their own format never do). It is computed
/// only when some string field is long enough to be cut: otherwise the rule changes nothing,
/// whatever the size.
fn truncate_long_fields(alert: &mut Alert) {
    alert.invalidate_json();
    let cuttable = alert
        .output_fields
        .values()
        .any(|v| matches!(v, Value::String(s) if s.len() > TRUNCATE_FIELD_BYTES));
    if !cuttable || alert.json_len() <= TRUNCATE_ABOVE_BYTES {
        return;
    }
    let mut replacements = Vec::new();
    for value in alert.output_fields.values_mut() {
        if let Value::String(s) = value {
            if s.len() > TRUNCATE_FIELD_BYTES {
                let mut cut = TRUNCATE_KEEP_BYTES;
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                let short = format!("{}{TRUNCATION_MARKER}", &s[..cut]);
                replacements.push((std::mem::replace(s, short.clone()), short));
            }
        }
    }
    for (long, short) in replacements {
        if alert.output.contains(&long) {
            alert.output = alert.output.replace(&long, &short);
        }
    }
    alert.invalidate_json();
}

#[cfg(test)]
#[path = "enrich_tests.rs"]
mod tests;
