//! Alert → Telegram `sendMessage` call (falcosidekick's MarkdownV2 template).

use crate::common::{go_json_line, go_time_string, go_value, shrink_to_fit, Encode, Encoded, Unit};
use falconer_core::{Alert, SendError};
use serde::Serialize;

/// Longest message text, in UTF-16 code units (Telegram's 4,096 characters).
pub const MAX_TEXT_UTF16: usize = 4_096;

/// Escapes every character MarkdownV2 reserves: falcosidekick's set
/// (`_*[]()~`>#+-=|{}.!`) plus the backslash, which Telegram also requires.
pub fn markdown_v2_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '_'
                | '*'
                | '['
                | ']'
                | '('
                | ')'
                | '~'
                | '`'
                | '>'
                | '#'
                | '+'
                | '-'
                | '='
                | '|'
                | '{'
                | '}'
                | '.'
                | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[derive(Serialize)]
struct Payload<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    text: &'a str,
    parse_mode: &'static str,
    disable_web_page_preview: bool,
    #[serde(skip_serializing_if = "str::is_empty")]
    chat_id: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    message_thread_id: &'a str,
}

/// Encodes alerts as `sendMessage` calls.
#[derive(Debug)]
pub struct TelegramEncoder {
    /// `chat_id`.
    pub chat_id: String,
    /// `message_thread_id` (left out when empty).
    pub message_thread_id: String,
}

/// falcosidekick's template rendered with `output` and the field `values` (in key order)
/// given separately, unescaped, so they can be shortened before escaping.
fn text(alert: &Alert, output: &str, keys: &[&str], values: &[String]) -> String {
    let e = markdown_v2_escape;
    let mut t = format!(
        "*\\[Falco\\] \\[{}\\] {}*\n\n• *Time*: {}\n• *Source*: {}\n• *Hostname*: {}\n• *Tags*: ",
        e(alert.priority.as_str()),
        e(&alert.rule),
        e(&go_time_string(&alert.time)),
        e(&alert.source),
        e(&alert.hostname),
    );
    for tag in &alert.tags {
        t.push_str(&e(tag));
        t.push(' ');
    }
    t.push_str("\n• *Fields*:\n");
    for (key, value) in keys.iter().zip(values) {
        t.push_str("\t  • *");
        t.push_str(&e(key));
        t.push_str("*: ");
        t.push_str(&e(value));
        t.push('\n');
    }
    t.push_str("\n\n**Output**: ");
    t.push_str(&e(output));
    t.push('\n');
    t
}

impl TelegramEncoder {
    /// The body for `alert`.
    pub fn body(&self, alert: &Alert) -> Result<Encoded, SendError> {
        // Go ranges over a map in key order and prints a nil value as `<nil>` here.
        let mut fields: Vec<(&str, String)> = alert
            .output_fields
            .iter()
            .map(|(k, v)| (k.as_str(), go_value(v, "<nil>")))
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
            text(alert, output, &keys, values)
        };
        // Telegram counts the text after parsing, so measuring the escaped text is safe.
        let cut = shrink_to_fit(&mut pieces, MAX_TEXT_UTF16, Unit::Utf16, |p| {
            Unit::Utf16.len(&render(p))
        });
        let text = render(&pieces);
        Ok(Encoded {
            body: go_json_line(&Payload {
                text: &text,
                parse_mode: "MarkdownV2",
                disable_web_page_preview: true,
                chat_id: &self.chat_id,
                message_thread_id: &self.message_thread_id,
            })?,
            truncated: cut,
        })
    }
}

impl Encode for TelegramEncoder {
    fn encode(&self, alert: &Alert) -> Result<Encoded, SendError> {
        self.body(alert)
    }
}
