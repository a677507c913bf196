//! Alert → Cliq message, as falcosidekick builds it.

use falconer_core::{Alert, Choices, SendError};
use falconer_event::Priority;
use serde::Serialize;

use crate::common::{go_json_line, go_time_string, string_fields, Encode, Encoded, MessageFormat};

/// `outputformat`: which slides are sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CliqShown {
    /// `all` (default, also when empty): the text slide and the table.
    #[default]
    All,
    /// `text`: the text slide only.
    Text,
    /// `fields`: the table only.
    Fields,
}

impl Choices for CliqShown {
    fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "" | "all" => Some(CliqShown::All),
            "text" => Some(CliqShown::Text),
            "fields" => Some(CliqShown::Fields),
            _ => None,
        }
    }

    fn problem(raw: &str) -> String {
        format!("{raw:?} is not one of all, text, fields")
    }
}

/// The bot's name in every message.
pub const BOT_NAME: &str = "Falco Sidekick";

#[derive(Serialize)]
struct Row<'a> {
    field: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct Table<'a> {
    headers: [&'static str; 2],
    rows: Vec<Row<'a>>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Data<'a> {
    Text(&'a str),
    Table(Table<'a>),
}

#[derive(Serialize)]
struct Slide<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    data: Data<'a>,
}

#[derive(Serialize)]
struct Bot<'a> {
    name: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    image: &'a str,
}

#[derive(Serialize)]
struct Payload<'a> {
    text: &'a str,
    bot: Bot<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    slides: Vec<Slide<'a>>,
}

/// falcosidekick's emoji of each priority (`useemoji`).
pub fn emoji(priority: Priority) -> char {
    match priority {
        Priority::Emergency | Priority::Error => '\u{1F6A8}',
        Priority::Alert | Priority::Critical => '\u{1F7E0}',
        Priority::Warning => '\u{1F7E1}',
        Priority::Notice => '\u{1F535}',
        Priority::Informational => '\u{1F7E2}',
        Priority::Debug => '\u{26AA}',
    }
}

/// Encodes alerts as Cliq messages.
#[derive(Debug)]
pub struct CliqEncoder {
    /// `outputformat`.
    pub shown: CliqShown,
    /// `messageformat`.
    pub template: MessageFormat,
    /// `useemoji`.
    pub use_emoji: bool,
    /// The bot's image.
    pub icon: String,
}

impl CliqEncoder {
    /// The body for `alert`.
    pub fn body(&self, alert: &Alert) -> Result<Vec<u8>, SendError> {
        let mut slides = Vec::new();
        let text = if self.template.is_set() {
            if self.shown != CliqShown::Fields {
                slides.push(Slide {
                    kind: "text",
                    data: Data::Text(&alert.output),
                });
            }
            self.template.render(alert)
        } else {
            alert.output.clone()
        };
        let priority = alert.priority.to_string();
        let time = go_time_string(&alert.time);
        if self.shown != CliqShown::Text {
            let mut rows = vec![
                Row {
                    field: "rule",
                    value: &alert.rule,
                },
                Row {
                    field: "priority",
                    value: &priority,
                },
            ];
            if !alert.hostname.is_empty() {
                rows.push(Row {
                    field: "hostname",
                    value: &alert.hostname,
                });
            }
            rows.extend(
                string_fields(alert)
                    .into_iter()
                    .map(|(field, value)| Row { field, value }),
            );
            rows.push(Row {
                field: "time",
                value: &time,
            });
            slides.push(Slide {
                kind: "table",
                data: Data::Table(Table {
                    headers: ["field", "value"],
                    rows,
                }),
            });
        }
        let text = if self.use_emoji {
            format!("{} {text}", emoji(alert.priority))
        } else {
            text
        };
        go_json_line(&Payload {
            text: &text,
            bot: Bot {
                name: BOT_NAME,
                image: &self.icon,
            },
            slides,
        })
    }
}

impl Encode for CliqEncoder {
    fn encode(&self, alert: &Alert) -> Result<Encoded, SendError> {
        Ok(Encoded {
            body: self.body(alert)?,
            truncated: false,
        })
    }
}
