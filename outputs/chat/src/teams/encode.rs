//! Alert → Teams card (MessageCard or Adaptive Card), and connectors' answers.

use crate::common::{
    go_json_line, go_time_string, joined_tags, shrink_to_fit, string_fields, teams_colour, Encode,
    Encoded, Unit,
};
use falconer_core::{Alert, SendError};
use serde::Serialize;

use super::adaptive;

/// Largest card sent, in bytes of JSON (Teams refuses messages over about 28 KB).
pub const MAX_CARD_BYTES: usize = 28_000;

/// The activity title falcosidekick gives its cards.
pub(crate) const ACTIVITY_TITLE: &str = "Falco Sidekick";

#[derive(Serialize)]
struct Fact<'a> {
    name: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct Section<'a> {
    #[serde(rename = "activityTitle")]
    activity_title: &'static str,
    #[serde(rename = "activitySubtitle")]
    activity_subtitle: &'a str,
    #[serde(rename = "activityImage", skip_serializing_if = "str::is_empty")]
    activity_image: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    facts: Vec<Fact<'a>>,
}

#[derive(Serialize)]
struct MessageCard<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    summary: &'a str,
    #[serde(rename = "themeColor", skip_serializing_if = "str::is_empty")]
    theme_color: &'static str,
    sections: [Section<'a>; 1],
}

/// The content of a card, with the texts that may be shortened.
pub(crate) struct Content<'a> {
    pub(crate) alert: &'a Alert,
    pub(crate) time: String,
    pub(crate) image: &'a str,
    pub(crate) show_text: bool,
    pub(crate) names: Vec<String>,
}

impl Content<'_> {
    /// `pieces[0]` is the output, the rest the fact values.
    fn message_card(&self, pieces: &[String]) -> Result<Vec<u8>, SendError> {
        let (output, values) = pieces
            .split_first()
            .map_or(("", &[][..]), |(o, v)| (o.as_str(), v));
        go_json_line(&MessageCard {
            kind: "MessageCard",
            summary: output,
            theme_color: teams_colour(self.alert.priority),
            sections: [Section {
                activity_title: ACTIVITY_TITLE,
                activity_subtitle: &self.time,
                activity_image: self.image,
                text: if self.show_text { output } else { "" },
                facts: self
                    .names
                    .iter()
                    .zip(values)
                    .map(|(name, value)| Fact { name, value })
                    .collect(),
            }],
        })
    }
}

/// Encodes alerts as Teams cards.
#[derive(Debug)]
pub struct TeamsEncoder {
    /// Adaptive Card in a Workflows message instead of a MessageCard.
    pub adaptive: bool,
    /// Show the output text (`outputformat` all or text).
    pub text: bool,
    /// Show the facts (`outputformat` all or facts).
    pub facts: bool,
    /// `activityimage`.
    pub image: String,
}

impl TeamsEncoder {
    /// The body for `alert`.
    pub fn body(&self, alert: &Alert) -> Result<Encoded, SendError> {
        let mut facts: Vec<(String, String)> = Vec::new();
        if self.facts {
            facts.push(("rule".into(), alert.rule.clone()));
            facts.push(("priority".into(), alert.priority.to_string()));
            facts.push(("source".into(), alert.source.clone()));
            if !alert.hostname.is_empty() {
                facts.push(("hostname".into(), alert.hostname.clone()));
            }
            facts.extend(
                string_fields(alert)
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned())),
            );
            let tags = joined_tags(alert);
            if !tags.is_empty() {
                facts.push(("tags".into(), tags));
            }
        }
        let (names, values): (Vec<String>, Vec<String>) = facts.into_iter().unzip();
        let content = Content {
            alert,
            time: go_time_string(&alert.time),
            image: &self.image,
            show_text: self.text,
            names,
        };
        let render = |pieces: &[String]| {
            if self.adaptive {
                adaptive::render(&content, pieces)
            } else {
                content.message_card(pieces)
            }
        };
        let mut pieces = Vec::with_capacity(values.len() + 1);
        pieces.push(alert.output.clone());
        pieces.extend(values);
        let cut = shrink_to_fit(&mut pieces, MAX_CARD_BYTES, Unit::Bytes, |p| {
            render(p).map_or(0, |b| b.len())
        });
        Ok(Encoded {
            body: render(&pieces)?,
            truncated: cut,
        })
    }
}

impl Encode for TeamsEncoder {
    fn encode(&self, alert: &Alert) -> Result<Encoded, SendError> {
        self.body(alert)
    }
}

/// Office 365 connectors answer some failures with a 200 whose body says what went wrong:
/// throttling (`… returned HTTP error 429 …`) is turned into a retryable 429, other delivery
/// failures into a rejection. Workflows webhooks answer 202 with an empty body.
pub fn check_answer(body: &[u8]) -> Result<(), SendError> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.contains("HTTP error 429") {
        return Err(SendError::Status {
            status: http::StatusCode::TOO_MANY_REQUESTS,
            body: text.chars().take(512).collect(),
            retry_after: None,
        });
    }
    if text.starts_with("Webhook message delivery failed") {
        return Err(SendError::Rejected(text.chars().take(512).collect()));
    }
    Ok(())
}
