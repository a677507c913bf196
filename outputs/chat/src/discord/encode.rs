//! Alert → Discord webhook message.

use crate::common::{
    discord_colour, go_json_line, go_time_string, joined_tags, shrink_to_fit, string_fields,
    truncate, Encode, Encoded, Unit,
};
use falconer_core::{Alert, SendError};
use serde::Serialize;

/// Longest embed description.
pub const MAX_DESCRIPTION: usize = 4_096;
/// Longest field name.
pub const MAX_FIELD_NAME: usize = 256;
/// Longest field value.
pub const MAX_FIELD_VALUE: usize = 1_024;
/// Fields per embed.
pub const MAX_FIELDS: usize = 25;
/// Characters of an embed in all (title, description, field names and values).
pub const MAX_EMBED_TOTAL: usize = 6_000;

#[derive(Serialize)]
struct EmbedField {
    name: String,
    value: String,
    inline: bool,
}

#[derive(Serialize)]
struct Embed {
    title: &'static str,
    url: &'static str,
    description: String,
    color: &'static str,
    fields: Vec<EmbedField>,
}

#[derive(Serialize)]
struct Payload<'a> {
    content: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    avatar_url: &'a str,
    embeds: [Embed; 1],
}

/// Encodes alerts as Discord embeds.
#[derive(Debug)]
pub struct DiscordEncoder {
    /// `avatar_url`.
    pub avatar_url: String,
}

impl DiscordEncoder {
    /// The (name, value) fields in falcosidekick's order, at most [`MAX_FIELDS`] of them: when
    /// there are more, the last output fields give way to one saying how many are not shown.
    fn fields(alert: &Alert) -> (Vec<(String, String)>, bool) {
        let mut head: Vec<(String, String)> = vec![
            ("rule".into(), alert.rule.clone()),
            ("priority".into(), alert.priority.to_string()),
            ("source".into(), alert.source.clone()),
        ];
        if !alert.hostname.is_empty() {
            head.push(("hostname".into(), alert.hostname.clone()));
        }
        let mut tail = Vec::new();
        let tags = joined_tags(alert);
        if !tags.is_empty() {
            tail.push(("tags".to_owned(), tags));
        }
        tail.push(("time".to_owned(), go_time_string(&alert.time)));
        let mut strings: Vec<(String, String)> = string_fields(alert)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), format!("```{v}```")))
            .collect();
        let mut cut = false;
        if head.len() + strings.len() + tail.len() > MAX_FIELDS {
            let keep = MAX_FIELDS - head.len() - tail.len() - 1;
            let hidden = strings.len() - keep;
            strings.truncate(keep);
            strings.push(("…".into(), format!("{hidden} more fields not shown")));
            cut = true;
        }
        head.extend(strings);
        head.extend(tail);
        (head, cut)
    }

    /// The body for `alert`.
    pub fn body(&self, alert: &Alert) -> Result<Encoded, SendError> {
        let (fields, mut cut) = Self::fields(alert);
        let (mut names, values): (Vec<String>, Vec<String>) = fields.into_iter().unzip();
        for name in &mut names {
            cut |= truncate(name, MAX_FIELD_NAME, Unit::Chars);
        }
        let mut pieces = Vec::with_capacity(values.len() + 1);
        pieces.push(alert.output.clone());
        pieces.extend(values);
        cut |= truncate(&mut pieces[0], MAX_DESCRIPTION, Unit::Chars);
        for value in &mut pieces[1..] {
            cut |= truncate(value, MAX_FIELD_VALUE, Unit::Chars);
        }
        let names_len: usize = names.iter().map(|n| n.chars().count()).sum();
        cut |= shrink_to_fit(&mut pieces, MAX_EMBED_TOTAL, Unit::Chars, |p| {
            names_len + p.iter().map(|s| s.chars().count()).sum::<usize>()
        });
        let mut pieces = pieces.into_iter();
        let description = pieces.next().unwrap_or_default();
        let payload = Payload {
            content: "",
            avatar_url: &self.avatar_url,
            embeds: [Embed {
                title: "",
                url: "",
                description,
                color: discord_colour(alert.priority),
                fields: names
                    .into_iter()
                    .zip(pieces)
                    .map(|(name, value)| EmbedField {
                        name,
                        value,
                        inline: true,
                    })
                    .collect(),
            }],
        };
        Ok(Encoded {
            body: go_json_line(&payload)?,
            truncated: cut,
        })
    }
}

impl Encode for DiscordEncoder {
    fn encode(&self, alert: &Alert) -> Result<Encoded, SendError> {
        self.body(alert)
    }
}
