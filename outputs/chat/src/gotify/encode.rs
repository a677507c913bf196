//! Alert → Gotify message, as falcosidekick builds it.

use std::fmt::Write as _;

use falconer_core::{Alert, Choices, SendError};
use serde::Serialize;

use crate::common::{go_json_line, go_time_string, go_value, Encode, Encoded};

/// `format`: the layout of the message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GotifyFormat {
    /// `markdown` (default, also when empty): falcosidekick's markdown list.
    #[default]
    Markdown,
    /// `plaintext` or `text`: falcosidekick's plain-text list.
    Plaintext,
    /// `json`: the payload JSON as plain text.
    Json,
}

impl Choices for GotifyFormat {
    fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "" | "markdown" => Some(GotifyFormat::Markdown),
            "plaintext" | "text" => Some(GotifyFormat::Plaintext),
            "json" => Some(GotifyFormat::Json),
            _ => None,
        }
    }

    fn problem(raw: &str) -> String {
        format!("{raw:?} is not one of markdown, plaintext, text, json")
    }
}

#[derive(Serialize)]
struct Display<'a> {
    #[serde(rename = "contentType")]
    content_type: &'a str,
}

#[derive(Serialize)]
struct Extras<'a> {
    #[serde(rename = "client::display")]
    display: Display<'a>,
}

#[derive(Serialize)]
struct Payload<'a> {
    title: String,
    priority: u8,
    message: &'a str,
    extras: Extras<'a>,
}

/// Encodes alerts as Gotify messages.
#[derive(Debug)]
pub struct GotifyEncoder {
    /// `format`.
    pub format: GotifyFormat,
}

/// falcosidekick's markdown (`markdown: true`) or plain-text layout, as its Go templates
/// write it: the tags each followed by a space, `.Time` as Go prints a `time.Time`, the
/// output fields sorted by key with their values as Go prints them (`<no value>` for null).
pub fn layout(alert: &Alert, markdown: bool) -> String {
    let (item, bold) = if markdown { ("- ", "**") } else { ("", "") };
    let mut out = String::with_capacity(512);
    let mut line = |label: &str, value: &str| {
        let _ = writeln!(out, "{item}{bold}{label}{bold}: {value}");
    };
    line("Priority", &alert.priority.to_string());
    line("Rule", &alert.rule);
    line("Output", &alert.output);
    line("Source", &alert.source);
    let tags: String = alert.tags.iter().map(|t| format!("{t} ")).collect();
    line("Tags", &tags);
    line("Time", &go_time_string(&alert.time));
    let _ = writeln!(out, "{item}{bold}Fields{bold}:");
    let mut fields: Vec<(&String, &serde_json::Value)> = alert.output_fields.iter().collect();
    fields.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for (key, value) in fields {
        let value = go_value(value, "<no value>");
        if markdown {
            let _ = writeln!(out, "\t- **{key}**: {value}");
        } else {
            let _ = writeln!(out, "- {key}: {value}");
        }
    }
    out
}

impl GotifyEncoder {
    /// The body for `alert`.
    pub fn body(&self, alert: &Alert) -> Result<Vec<u8>, SendError> {
        let (message, content_type) = match self.format {
            GotifyFormat::Markdown => (layout(alert, true), "markdown"),
            GotifyFormat::Plaintext => (layout(alert, false), "plaintext"),
            GotifyFormat::Json => (
                String::from_utf8_lossy(alert.json_bytes()).into_owned(),
                "plaintext",
            ),
        };
        go_json_line(&Payload {
            title: format!("[Falco] [{}] {}", alert.priority, alert.rule),
            priority: alert.priority as u8,
            message: &message,
            extras: Extras {
                display: Display { content_type },
            },
        })
    }
}

impl Encode for GotifyEncoder {
    fn encode(&self, alert: &Alert) -> Result<Encoded, SendError> {
        Ok(Encoded {
            body: self.body(alert)?,
            truncated: false,
        })
    }
}
