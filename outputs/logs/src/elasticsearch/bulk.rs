//! Reading Elasticsearch answers: a `_bulk` answer item by item, and error bodies with their
//! real reason (falcosidekick reports any 400 as "header missing").

use serde::Deserialize;
use serde_json::Value;

/// An error object of an answer (`{"type": …, "reason": …}`).
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct EsError {
    #[serde(default, rename = "type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) reason: String,
}

impl EsError {
    /// `type: reason`.
    pub(crate) fn describe(&self) -> String {
        match (self.kind.is_empty(), self.reason.is_empty()) {
            (false, false) => format!("{}: {}", self.kind, self.reason),
            (false, true) => self.kind.clone(),
            _ => self.reason.clone(),
        }
    }

    /// A document that does not fit the index mapping.
    pub(crate) fn is_mapping_conflict(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "document_parsing_exception" | "mapper_parsing_exception"
        )
    }

    /// The output field a mapping error names (`[output_fields.proc.pid]` → `proc.pid`).
    pub(crate) fn offending_field(&self) -> Option<String> {
        let start = self.reason.find("[output_fields.")? + "[output_fields.".len();
        let rest = &self.reason[start..];
        let field = &rest[..rest.find(']')?];
        (!field.is_empty()).then(|| field.to_owned())
    }
}

fn error_of(value: &Value) -> Option<EsError> {
    match value {
        Value::Object(_) => serde_json::from_value(value.clone()).ok(),
        Value::String(s) => Some(EsError {
            kind: String::new(),
            reason: s.clone(),
        }),
        _ => None,
    }
}

/// The error of an error answer body (`{"error": {…}, "status": 400}`), if it has one.
pub(crate) fn error_body(body: &str) -> Option<EsError> {
    let value: Value = serde_json::from_str(body).ok()?;
    error_of(value.get("error")?)
}

/// One item of a `_bulk` answer.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) status: u16,
    pub(crate) error: Option<EsError>,
}

/// A `_bulk` answer: `errors` and one item per action, in order.
#[derive(Debug)]
pub(crate) struct BulkAnswer {
    pub(crate) errors: bool,
    pub(crate) items: Vec<Item>,
}

/// Parses a `_bulk` answer (each item is `{"<action>": {"status": …, "error": …}}`).
pub(crate) fn parse_bulk(body: &[u8]) -> Result<BulkAnswer, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("unreadable _bulk answer: {e}"))?;
    let errors = value.get("errors").and_then(Value::as_bool).unwrap_or(true);
    let items = match value.get("items") {
        None if !errors => Vec::new(),
        None => return Err("_bulk answer without items".into()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let inner = item
                    .as_object()
                    .and_then(|o| o.values().next())
                    .ok_or_else(|| "malformed _bulk item".to_owned())?;
                let status = inner
                    .get("status")
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok())
                    .ok_or_else(|| "_bulk item without status".to_owned())?;
                Ok(Item {
                    status,
                    error: inner.get("error").and_then(error_of),
                })
            })
            .collect::<Result<_, String>>()?,
        Some(_) => return Err("_bulk answer items is not a list".into()),
    };
    Ok(BulkAnswer { errors, items })
}
