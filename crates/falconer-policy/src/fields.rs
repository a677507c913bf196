//! An alert as the condition language sees it: `rule`, `priority` (ranked), `source`,
//! `hostname`, `output`, `uuid`, `tags` (a list) and every output field by its name
//! (`k8s.ns.name`, `proc.aname[2]`, custom fields).

use falconer_event::{Alert, Priority};
use falconer_expr::{FieldType, Fields, Schema, Value};

/// The alert fields conditions may name.
#[derive(Clone, Copy, Debug, Default)]
pub struct AlertSchema;

impl Schema for AlertSchema {
    fn field_type(&self, name: &str) -> Option<FieldType> {
        Some(match name {
            "priority" => FieldType::PRIORITY,
            "tags" => FieldType::List,
            _ => FieldType::Text,
        })
    }
}

/// Reads an alert's fields for the evaluator; no allocation for the named fields and for
/// string, number and boolean output fields (with an argument, `proc.aname[2]`, too while
/// the key fits in 128 bytes).
#[derive(Clone, Copy, Debug)]
pub struct AlertFields<'a>(pub &'a Alert);

/// The rank of a priority in [`FieldType::PRIORITY`] (debug = 0 … emergency = 7).
pub fn priority_rank(priority: Priority) -> u8 {
    (priority as u8).saturating_sub(1)
}

impl Fields for AlertFields<'_> {
    fn field(&self, name: &str, arg: Option<&str>) -> Value<'_> {
        let alert = self.0;
        match (name, arg) {
            ("rule", None) => Value::Str(&alert.rule),
            ("priority", None) => Value::Rank(priority_rank(alert.priority)),
            ("source", None) => Value::Str(&alert.source),
            ("hostname", None) => Value::Str(&alert.hostname),
            ("output", None) => Value::Str(&alert.output),
            ("uuid", None) => Value::Str(&alert.uuid),
            ("tags", None) => Value::List(&alert.tags),
            (_, None) => json_value(alert.output_fields.get(name)),
            (_, Some(arg)) => {
                let mut buffer = [0; KEY_BUFFER];
                match key_with_arg(&mut buffer, name, arg) {
                    Some(key) => json_value(alert.output_fields.get(key)),
                    None => json_value(alert.output_fields.get(&format!("{name}[{arg}]"))),
                }
            }
        }
    }
}

/// Bytes of the stack buffer an output field key with an argument is built in.
const KEY_BUFFER: usize = 128;

/// `name[arg]` in `buffer`, if it fits.
fn key_with_arg<'b>(buffer: &'b mut [u8; KEY_BUFFER], name: &str, arg: &str) -> Option<&'b str> {
    let len = name.len() + arg.len() + 2;
    let key = buffer.get_mut(..len)?;
    let (head, tail) = key.split_at_mut(name.len());
    head.copy_from_slice(name.as_bytes());
    tail[0] = b'[';
    tail[1..=arg.len()].copy_from_slice(arg.as_bytes());
    tail[arg.len() + 1] = b']';
    std::str::from_utf8(key).ok()
}

fn json_value(value: Option<&serde_json::Value>) -> Value<'_> {
    match value {
        None | Some(serde_json::Value::Null) => Value::Missing,
        Some(serde_json::Value::String(s)) => Value::Str(s),
        Some(serde_json::Value::Bool(b)) => Value::Bool(*b),
        Some(serde_json::Value::Number(n)) => match n.as_f64() {
            Some(f) => Value::Num(f),
            None => Value::Owned(n.to_string()),
        },
        Some(other) => Value::Owned(other.to_string()),
    }
}
