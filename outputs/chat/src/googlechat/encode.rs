//! Alert → Google Chat message (cards v1, as falcosidekick builds it).

use crate::common::{
    go_json_line, go_time_string, joined_tags, shrink_to_fit, string_fields, truncate, Encode,
    Encoded, MessageFormat, Unit,
};
use falconer_core::{Alert, SendError};
use serde::Serialize;

/// Longest message text, in characters.
pub const MAX_TEXT_CHARS: usize = 4_096;
/// Largest message, in bytes of JSON.
pub const MAX_MESSAGE_BYTES: usize = 32_000;

#[derive(Serialize)]
struct KeyValue<'a> {
    #[serde(rename = "topLabel")]
    top_label: &'a str,
    content: &'a str,
}

#[derive(Serialize)]
struct Widget<'a> {
    #[serde(rename = "keyValue")]
    key_value: KeyValue<'a>,
}

#[derive(Serialize)]
struct Section<'a> {
    widgets: Vec<Widget<'a>>,
}

// falcosidekick's `omitempty` on a struct has no effect: the empty header is always sent.
#[derive(Serialize)]
struct Header {
    title: &'static str,
    subtitle: &'static str,
}

#[derive(Serialize)]
struct Card<'a> {
    header: Header,
    sections: [Section<'a>; 1],
}

#[derive(Serialize)]
struct Payload<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cards: Option<[Card<'a>; 1]>,
}

/// Encodes alerts as Google Chat messages.
#[derive(Debug)]
pub struct GooglechatEncoder {
    /// `outputformat: text`: no card.
    pub text_only: bool,
    /// `messageformat`.
    pub template: MessageFormat,
}

fn render(labels: &[String], pieces: &[String], text_only: bool) -> Result<Vec<u8>, SendError> {
    let (text, contents) = pieces
        .split_first()
        .map_or(("", &[][..]), |(t, c)| (t.as_str(), c));
    let cards = (!text_only).then(|| {
        [Card {
            header: Header {
                title: "",
                subtitle: "",
            },
            sections: [Section {
                widgets: labels
                    .iter()
                    .zip(contents)
                    .map(|(l, c)| Widget {
                        key_value: KeyValue {
                            top_label: l,
                            content: c,
                        },
                    })
                    .collect(),
            }],
        }]
    });
    go_json_line(&Payload { text, cards })
}

impl GooglechatEncoder {
    /// The label and content of each widget, in falcosidekick's order.
    fn widgets(alert: &Alert) -> (Vec<String>, Vec<String>) {
        let mut w: Vec<(String, String)> = vec![
            ("rule".into(), alert.rule.clone()),
            ("priority".into(), alert.priority.to_string()),
            ("source".into(), alert.source.clone()),
        ];
        if !alert.hostname.is_empty() {
            w.push(("hostname".into(), alert.hostname.clone()));
        }
        w.extend(
            string_fields(alert)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let tags = joined_tags(alert);
        if !tags.is_empty() {
            w.push(("tags".into(), tags));
        }
        w.push(("time".into(), go_time_string(&alert.time)));
        w.into_iter().unzip()
    }

    /// The body for `alert`.
    pub fn body(&self, alert: &Alert) -> Result<Encoded, SendError> {
        let mut text = self.template.render(alert);
        if self.text_only && text.is_empty() {
            // falcosidekick would send `{}`, which Google Chat refuses.
            text = alert.output.clone();
        }
        let mut cut = truncate(&mut text, MAX_TEXT_CHARS, Unit::Chars);
        let (labels, contents) = if self.text_only {
            (Vec::new(), Vec::new())
        } else {
            Self::widgets(alert)
        };
        let mut pieces = Vec::with_capacity(contents.len() + 1);
        pieces.push(text);
        pieces.extend(contents);
        cut |= shrink_to_fit(&mut pieces, MAX_MESSAGE_BYTES, Unit::Bytes, |p| {
            render(&labels, p, self.text_only).map_or(0, |b| b.len())
        });
        Ok(Encoded {
            body: render(&labels, &pieces, self.text_only)?,
            truncated: cut,
        })
    }
}

impl Encode for GooglechatEncoder {
    fn encode(&self, alert: &Alert) -> Result<Encoded, SendError> {
        self.body(alert)
    }
}
