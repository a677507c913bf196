//! The Slack-style message falcosidekick sends to Slack, Mattermost and Rocket.Chat: a
//! top-level `text` (the `messageformat` result), bot name and icon, and one coloured
//! attachment with the output and a list of `{title, value, short}` fields.

use falconer_core::{Alert, SendError};
use falconer_http::go_json_line;
use serde::Serialize;

use crate::common::colour::attachment_colour;
use crate::common::config::{DEFAULT_FOOTER, FALLBACK_ICON};
use crate::common::fields::{is_short, joined_tags, string_fields};
use crate::common::gofmt::go_time_string;
use crate::common::output::{Encode, Encoded};
use crate::common::template::MessageFormat;
use crate::common::truncate::{truncated, Unit};

/// Which service's variant of the layout (they differ in field order, footer and icon).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// rule, priority, source, hostname, tags, fields, time; footer; optional `channel`.
    Slack,
    /// rule, hostname, priority, source, tags, fields, time; footer; no channel.
    Mattermost,
    /// rule, priority, source, tags, fields, time, hostname; no footer; no attachment at all
    /// with `outputformat: text`.
    RocketChat,
}

falconer_core::one_of! {
    /// `outputformat`: what the attachment shows.
    pub enum OutputFormat {
        /// The output text and the fields (default).
        All = "all",
        /// The output text only.
        Text = "text",
        /// The fields only.
        Fields = "fields",
    }
}

impl OutputFormat {
    /// True when the output text is shown.
    pub fn text(self) -> bool {
        matches!(self, OutputFormat::All | OutputFormat::Text)
    }

    /// True when the fields are shown.
    pub fn fields(self) -> bool {
        matches!(self, OutputFormat::All | OutputFormat::Fields)
    }
}

/// Longest texts sent, in characters; longer ones are cut with a visible marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The top-level `text` (the rendered `messageformat`).
    pub text: usize,
    /// The attachment's `text` and `fallback` (the alert's output).
    pub attachment_text: usize,
    /// Each field value.
    pub field_value: usize,
}

/// One attachment field.
#[derive(Serialize, Debug)]
pub struct Field {
    /// The name.
    pub title: String,
    /// The value.
    pub value: String,
    /// Shown side by side with another short field.
    pub short: bool,
}

#[derive(Serialize)]
struct Attachment<'a> {
    fallback: String,
    color: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    text: String,
    // Go serializes the nil slice of `outputformat: text` as `null`.
    fields: Option<Vec<Field>>,
    #[serde(skip_serializing_if = "str::is_empty")]
    footer: &'a str,
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment<'a>>,
}

/// Encodes alerts as a Slack-style attachment message.
#[derive(Debug)]
pub struct AttachmentEncoder {
    /// Field order and quirks.
    pub layout: Layout,
    /// `outputformat`.
    pub format: OutputFormat,
    /// `username` (left out when empty).
    pub username: String,
    /// `icon` (`icon_url`).
    pub icon: String,
    /// `channel` (Slack only; left out when empty).
    pub channel: String,
    /// `footer` (falcosidekick's default when empty).
    pub footer: String,
    /// `messageformat`.
    pub template: MessageFormat,
    /// The service's limits.
    pub limits: Limits,
}

/// Tracks whether anything was cut.
struct Cutter<'a> {
    limits: &'a Limits,
    cut: bool,
}

impl Cutter<'_> {
    fn cap(&mut self, s: &str, max: usize) -> String {
        let (s, cut) = truncated(s, max, Unit::Chars);
        self.cut |= cut;
        s
    }

    fn field(&mut self, title: &str, value: &str, short: bool) -> Field {
        let max = self.limits.field_value;
        Field {
            title: title.to_owned(),
            value: self.cap(value, max),
            short,
        }
    }
}

impl AttachmentEncoder {
    fn fields(&self, alert: &Alert, c: &mut Cutter<'_>) -> Vec<Field> {
        let mut out = Vec::with_capacity(alert.output_fields.len() + 6);
        let tags = joined_tags(alert);
        let hostname = (!alert.hostname.is_empty()).then_some(alert.hostname.as_str());
        out.push(c.field("rule", &alert.rule, true));
        if let (Layout::Mattermost, Some(h)) = (self.layout, hostname) {
            out.push(c.field("hostname", h, true));
        }
        out.push(c.field("priority", alert.priority.as_str(), true));
        out.push(c.field("source", &alert.source, true));
        if let (Layout::Slack, Some(h)) = (self.layout, hostname) {
            out.push(c.field("hostname", h, true));
        }
        if !tags.is_empty() {
            out.push(c.field("tags", &tags, true));
        }
        for (key, value) in string_fields(alert) {
            out.push(c.field(key, value, is_short(value)));
        }
        out.push(c.field("time", &go_time_string(&alert.time), false));
        if let (Layout::RocketChat, Some(h)) = (self.layout, hostname) {
            out.push(c.field("hostname", h, true));
        }
        out
    }

    fn footer(&self) -> &str {
        match self.layout {
            Layout::RocketChat => "",
            _ if self.footer.is_empty() => DEFAULT_FOOTER,
            _ => &self.footer,
        }
    }

    fn icon(&self) -> &str {
        match self.layout {
            Layout::Slack => &self.icon,
            _ if self.icon.is_empty() => FALLBACK_ICON,
            _ => &self.icon,
        }
    }

    /// The body for `alert` (Go JSON with a final newline, as falcosidekick posts it).
    pub fn body(&self, alert: &Alert) -> Result<Encoded, SendError> {
        let mut c = Cutter {
            limits: &self.limits,
            cut: false,
        };
        let mut text = self.template.render(alert);
        text = c.cap(&text, self.limits.text);
        let show_attachment = self.layout != Layout::RocketChat || self.format.fields();
        if !show_attachment && text.is_empty() {
            // falcosidekick sends Rocket.Chat an empty message here; send the output instead.
            text = c.cap(&alert.output, self.limits.text);
        }
        let mut attachments = Vec::new();
        if show_attachment {
            let output = c.cap(&alert.output, self.limits.attachment_text);
            attachments.push(Attachment {
                fallback: output.clone(),
                color: attachment_colour(alert.priority),
                text: if self.format.text() {
                    output
                } else {
                    String::new()
                },
                fields: self.format.fields().then(|| self.fields(alert, &mut c)),
                footer: if self.format.fields() {
                    self.footer()
                } else {
                    ""
                },
            });
        }
        let payload = Payload {
            text,
            username: &self.username,
            icon_url: self.icon(),
            channel: if self.layout == Layout::Slack {
                &self.channel
            } else {
                ""
            },
            attachments,
        };
        Ok(Encoded {
            body: go_json_line(&payload)?,
            truncated: c.cut,
        })
    }
}

impl Encode for AttachmentEncoder {
    fn encode(&self, alert: &Alert) -> Result<Encoded, SendError> {
        self.body(alert)
    }
}
