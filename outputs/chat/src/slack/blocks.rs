//! `format: blocks`: the alert as Block Kit blocks (<https://api.slack.com/block-kit>) in one
//! attachment coloured by priority: a header `[Priority] rule`, the output, the fields in
//! sections of ten, and a context line with the time and the footer. Block Kit's limits are
//! kept (header 150, section text 3,000, field 2,000 characters, 50 blocks); texts are
//! mrkdwn-escaped.

use crate::common::{
    attachment_colour, go_json_line, go_time_string, joined_tags, string_fields, truncated,
    Encoded, MessageFormat, OutputFormat, Unit, DEFAULT_FOOTER,
};
use falconer_core::{Alert, SendError};
use serde::Serialize;

/// Longest header text.
pub const HEADER_CHARS: usize = 150;
/// Longest section text.
pub const SECTION_CHARS: usize = 3_000;
/// Longest field or context text.
pub const FIELD_CHARS: usize = 2_000;
/// Fields per section.
pub const FIELDS_PER_SECTION: usize = 10;
/// Blocks per message.
pub const MAX_BLOCKS: usize = 50;
/// Longest top-level (notification) text.
pub const TEXT_CHARS: usize = 4_000;

#[derive(Serialize)]
struct Text {
    #[serde(rename = "type")]
    kind: &'static str,
    text: String,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Header {
        text: Text,
    },
    Section {
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<Text>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        fields: Vec<Text>,
    },
    Context {
        elements: Vec<Text>,
    },
}

#[derive(Serialize)]
struct Attachment {
    color: &'static str,
    blocks: Vec<Block>,
}

#[derive(Serialize)]
struct Payload<'a> {
    #[serde(skip_serializing_if = "String::is_empty")]
    text: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    username: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    icon_url: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    channel: &'a str,
    attachments: [Attachment; 1],
}

/// Escapes `&`, `<` and `>` as Slack's mrkdwn requires.
pub fn mrkdwn_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Encodes alerts as Block Kit messages.
#[derive(Debug)]
pub struct BlocksEncoder {
    /// `outputformat`: which of output and fields are shown.
    pub format: OutputFormat,
    /// `username` (left out when empty).
    pub username: String,
    /// `icon` (`icon_url`, left out when empty).
    pub icon: String,
    /// `channel` (left out when empty).
    pub channel: String,
    /// Footer in the context line (falcosidekick's default when empty).
    pub footer: String,
    /// `messageformat`: the notification text (default `[Priority] rule`).
    pub template: MessageFormat,
}

impl BlocksEncoder {
    /// The body for `alert`.
    pub fn body(&self, alert: &Alert) -> Result<Encoded, SendError> {
        let cut = std::cell::Cell::new(false);
        let cap = |s: &str, max: usize| {
            let (s, c) = truncated(s, max, Unit::Chars);
            if c {
                cut.set(true);
            }
            s
        };
        let title = format!("[{}] {}", alert.priority, alert.rule);
        let text = match self.template.render(alert) {
            t if t.is_empty() => title.clone(),
            t => t,
        };
        let text = cap(&text, TEXT_CHARS);
        let mut blocks = vec![Block::Header {
            text: Text {
                kind: "plain_text",
                text: cap(&title, HEADER_CHARS),
            },
        }];
        if self.format.text() && !alert.output.is_empty() {
            blocks.push(Block::Section {
                text: Some(Text {
                    kind: "mrkdwn",
                    text: cap(&mrkdwn_escape(&alert.output), SECTION_CHARS),
                }),
                fields: Vec::new(),
            });
        }
        if self.format.fields() {
            let mut fields: Vec<(&str, String)> = vec![("source", alert.source.clone())];
            if !alert.hostname.is_empty() {
                fields.push(("hostname", alert.hostname.clone()));
            }
            let tags = joined_tags(alert);
            if !tags.is_empty() {
                fields.push(("tags", tags));
            }
            fields.extend(
                string_fields(alert)
                    .into_iter()
                    .map(|(k, v)| (k, v.to_owned())),
            );
            // Header, output and context take three blocks; the rest hold ten fields each.
            let room = (MAX_BLOCKS - 3) * FIELDS_PER_SECTION;
            if fields.len() > room {
                let hidden = fields.len() - (room - 1);
                fields.truncate(room - 1);
                fields.push(("…", format!("{hidden} more fields not shown")));
                cut.set(true);
            }
            let texts: Vec<Text> = fields
                .iter()
                .map(|(k, v)| Text {
                    kind: "mrkdwn",
                    text: cap(
                        &format!("*{}*\n{}", mrkdwn_escape(k), mrkdwn_escape(v)),
                        FIELD_CHARS,
                    ),
                })
                .collect();
            let mut texts = texts.into_iter().peekable();
            while texts.peek().is_some() {
                blocks.push(Block::Section {
                    text: None,
                    fields: texts.by_ref().take(FIELDS_PER_SECTION).collect(),
                });
            }
        }
        let footer = if self.footer.is_empty() {
            DEFAULT_FOOTER
        } else {
            &self.footer
        };
        let context = format!(
            "{} | {}",
            go_time_string(&alert.time),
            mrkdwn_escape(footer)
        );
        blocks.push(Block::Context {
            elements: vec![Text {
                kind: "mrkdwn",
                text: cap(&context, FIELD_CHARS),
            }],
        });
        let payload = Payload {
            text,
            username: &self.username,
            icon_url: &self.icon,
            channel: &self.channel,
            attachments: [Attachment {
                color: attachment_colour(alert.priority),
                blocks,
            }],
        };
        Ok(Encoded {
            body: go_json_line(&payload)?,
            truncated: cut.get(),
        })
    }
}
