//! The line written for one alert.

use std::borrow::Cow;

use falconer_event::{to_go_json, Alert};
use serde_json::{Map, Value};

/// `key[0]` → `key.0`, `a[1][2]` → `a.1.2` (falcosidekick's `\[(\d+)\]` → `.$1`); other
/// brackets are kept.
pub fn without_index_brackets(key: &str) -> Cow<'_, str> {
    if !key.contains('[') {
        return Cow::Borrowed(key);
    }
    let mut out = String::with_capacity(key.len());
    let mut rest = key;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && after.as_bytes().get(digits) == Some(&b']') {
            out.push('.');
            out.push_str(&after[..digits]);
            rest = &after[digits + 1..];
        } else {
            out.push('[');
            rest = after;
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// True when some key of `fields` (or of an object among its values) has an index bracket.
fn has_index_brackets(fields: &Map<String, Value>) -> bool {
    fields.iter().any(|(k, v)| {
        matches!(without_index_brackets(k), Cow::Owned(_))
            || matches!(v, Value::Object(inner) if has_index_brackets(inner))
    })
}

/// `fields` with every key rewritten, objects among the values too. When two keys become one
/// (`a[0]` and `a.0`), the one later in key order wins.
fn rewrite_keys(fields: &Map<String, Value>) -> Map<String, Value> {
    fields
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Value::Object(inner) => Value::Object(rewrite_keys(inner)),
                other => other.clone(),
            };
            (without_index_brackets(k).into_owned(), value)
        })
        .collect()
}

/// The JSON line for `alert`, `\r\n` included: the shared payload bytes when nothing needs
/// changing, else a copy with `extra_tags` appended and the keys rewritten.
pub fn logstash_line(alert: &Alert, extra_tags: &[String]) -> Vec<u8> {
    let rewrite = has_index_brackets(&alert.output_fields);
    let mut line = if extra_tags.is_empty() && !rewrite {
        alert.json_bytes().to_vec()
    } else {
        let mut copy = alert.clone();
        copy.tags.extend(extra_tags.iter().cloned());
        if rewrite {
            copy.output_fields = rewrite_keys(&alert.output_fields);
        }
        // Serializing strings, a map of JSON values and a time cannot fail.
        to_go_json(&copy).unwrap_or_else(|_| alert.json_bytes().to_vec())
    };
    line.extend_from_slice(b"\r\n");
    line
}
