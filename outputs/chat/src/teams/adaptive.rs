//! `format: adaptivecard`: an Adaptive Card (schema 1.4) in the message envelope of Teams
//! Workflows webhooks: a container styled by priority with `[Priority] rule` and the time,
//! the output, and a fact set with the same facts as the MessageCard.

use crate::common::go_json_line;
use falconer_core::SendError;
use falconer_event::Priority;
use serde::Serialize;

use super::encode::Content;

/// The Adaptive Card container style of a priority (cards have no free colours).
pub fn style(priority: Priority) -> &'static str {
    match priority {
        Priority::Emergency | Priority::Alert | Priority::Critical | Priority::Error => "attention",
        Priority::Warning => "warning",
        Priority::Notice => "good",
        Priority::Informational => "accent",
        Priority::Debug => "emphasis",
    }
}

#[derive(Serialize)]
struct Fact<'a> {
    title: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
#[serde(tag = "type")]
enum Element<'a> {
    Container {
        style: &'static str,
        bleed: bool,
        items: Vec<Element<'a>>,
    },
    TextBlock {
        text: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        weight: Option<&'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        size: Option<&'static str>,
        #[serde(rename = "isSubtle", skip_serializing_if = "std::ops::Not::not")]
        is_subtle: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        spacing: Option<&'static str>,
        wrap: bool,
    },
    FactSet {
        facts: Vec<Fact<'a>>,
    },
}

#[derive(Serialize)]
struct MsTeams {
    width: &'static str,
}

#[derive(Serialize)]
struct Card<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    version: &'static str,
    msteams: MsTeams,
    body: Vec<Element<'a>>,
}

#[derive(Serialize)]
struct Attachment<'a> {
    #[serde(rename = "contentType")]
    content_type: &'static str,
    content: Card<'a>,
}

#[derive(Serialize)]
struct Message<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    attachments: [Attachment<'a>; 1],
}

fn text(text: &str) -> Element<'_> {
    Element::TextBlock {
        text,
        weight: None,
        size: None,
        is_subtle: false,
        spacing: None,
        wrap: true,
    }
}

/// The Workflows message; `pieces[0]` is the output, the rest the fact values.
pub(crate) fn render(content: &Content<'_>, pieces: &[String]) -> Result<Vec<u8>, SendError> {
    let (output, values) = pieces
        .split_first()
        .map_or(("", &[][..]), |(o, v)| (o.as_str(), v));
    let alert = content.alert;
    let title = format!("[{}] {}", alert.priority, alert.rule);
    let mut body = vec![Element::Container {
        style: style(alert.priority),
        bleed: true,
        items: vec![
            Element::TextBlock {
                text: &title,
                weight: Some("Bolder"),
                size: Some("Medium"),
                is_subtle: false,
                spacing: None,
                wrap: true,
            },
            Element::TextBlock {
                text: &content.time,
                weight: None,
                size: None,
                is_subtle: true,
                spacing: Some("None"),
                wrap: true,
            },
        ],
    }];
    if content.show_text && !output.is_empty() {
        body.push(text(output));
    }
    if !content.names.is_empty() {
        body.push(Element::FactSet {
            facts: content
                .names
                .iter()
                .zip(values)
                .map(|(title, value)| Fact { title, value })
                .collect(),
        });
    }
    go_json_line(&Message {
        kind: "message",
        attachments: [Attachment {
            content_type: "application/vnd.microsoft.card.adaptive",
            content: Card {
                schema: "http://adaptivecards.io/schemas/adaptive-card.json",
                kind: "AdaptiveCard",
                version: "1.4",
                msteams: MsTeams { width: "Full" },
                body,
            },
        }],
    })
}
