//! Alert → Webex markdown message (falcosidekick's template, rendered the same way).

use crate::common::{go_json_line, go_value, shrink_to_fit, Encode, Encoded, Unit};
use falconer_core::{Alert, SendError};
use serde::Serialize;

/// Longest message Webex takes, in bytes.
pub const MAX_MARKDOWN_BYTES: usize = 7_439;

#[derive(Serialize)]
struct Payload<'a> {
    markdown: &'a str,
}

/// falcosidekick's markdown for `alert`, with `output` and the output field `values` (in
/// key order) given separately so they can be shortened. Whitespace is exactly what Go's
/// `text/template` leaves around the template's `range` actions.
pub fn markdown(alert: &Alert, output: &str, keys: &[&str], values: &[String]) -> String {
    let mut md = format!(
        "# Falco Rule '{}'\n\n### {}\n\nAdditional informations:\n  * Hostname: {}\n  * Source:   {}  \n  * Priority: {}\n  * Tags:\n    ",
        alert.rule, output, alert.hostname, alert.source, alert.priority
    );
    for tag in &alert.tags {
        md.push_str("\n    * ");
        md.push_str(tag);
        md.push_str("\n    ");
    }
    md.push_str("\n  * Fields:\n\t");
    for (key, value) in keys.iter().zip(values) {
        md.push_str("\n\t* ");
        md.push_str(key);
        md.push_str(": ");
        md.push_str(value);
        md.push_str("\n\t");
    }
    md.push('\n');
    md
}

/// Encodes alerts as Webex markdown messages.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebexEncoder;

impl WebexEncoder {
    /// The body for `alert`.
    pub fn body(&self, alert: &Alert) -> Result<Encoded, SendError> {
        // Go ranges over a map in key order; a nil value prints as "<no value>".
        let mut fields: Vec<(&str, String)> = alert
            .output_fields
            .iter()
            .map(|(k, v)| (k.as_str(), go_value(v, "<no value>")))
            .collect();
        fields.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let (keys, values): (Vec<&str>, Vec<String>) = fields.into_iter().unzip();
        let mut pieces = Vec::with_capacity(values.len() + 1);
        pieces.push(alert.output.clone());
        pieces.extend(values);
        let render = |p: &[String]| {
            let (output, values) = p
                .split_first()
                .map_or(("", &[][..]), |(o, v)| (o.as_str(), v));
            markdown(alert, output, &keys, values)
        };
        let cut = shrink_to_fit(&mut pieces, MAX_MARKDOWN_BYTES, Unit::Bytes, |p| {
            render(p).len()
        });
        Ok(Encoded {
            body: go_json_line(&Payload {
                markdown: &render(&pieces),
            })?,
            truncated: cut,
        })
    }
}

impl Encode for WebexEncoder {
    fn encode(&self, alert: &Alert) -> Result<Encoded, SendError> {
        self.body(alert)
    }
}
