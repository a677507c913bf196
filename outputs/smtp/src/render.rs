//! The mail itself, built without I/O: subject, plain-text and HTML bodies for one alert or a
//! digest, and the RFC 5322 message (lettre encodes headers and bodies: RFC 2047 subjects,
//! quoted-printable or base64 bodies for non-ASCII text).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::SystemTime;

use falconer_event::{alert_to_template_value, Alert, GoTemplate, Priority, TemplateError};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;
use serde_json::Value;

/// falcosidekick's subject: `[<Priority>] <output>`.
pub const DEFAULT_SUBJECT: &str = "[{{ .Priority }}] {{ .Output }}";

/// Longest subject sent; longer ones are cut with `…`.
const MAX_SUBJECT_CHARS: usize = 250;

/// Renders alerts into mails.
pub struct MailRenderer {
    subject: GoTemplate,
    text_only: bool,
}

impl std::fmt::Debug for MailRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailRenderer")
            .field("subject", &self.subject.source())
            .field("text_only", &self.text_only)
            .finish()
    }
}

/// falcosidekick's banner colour of a priority.
fn colour(priority: Priority) -> &'static str {
    match priority {
        Priority::Emergency => "#e20b0b",
        Priority::Alert => "#ff5400",
        Priority::Critical => "#ff9000",
        Priority::Error => "#ffc700",
        Priority::Warning => "#ffff00",
        Priority::Notice => "#5bffb5",
        Priority::Informational => "#68c2ff",
        Priority::Debug => "#ccfff2",
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An output field's value as text: strings as they are, everything else as JSON.
fn field_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One line of a header: no line breaks (no header injection), bounded length.
fn one_line(s: &str) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.trim();
    if flat.chars().count() > MAX_SUBJECT_CHARS {
        let cut: String = flat.chars().take(MAX_SUBJECT_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        flat.to_owned()
    }
}

impl MailRenderer {
    /// `subject` is a Go template over the alert (empty: [`DEFAULT_SUBJECT`]); `text_only`
    /// leaves the HTML part out.
    pub fn new(subject: &str, text_only: bool) -> Result<Self, TemplateError> {
        let source = if subject.trim().is_empty() {
            DEFAULT_SUBJECT
        } else {
            subject
        };
        Ok(MailRenderer {
            subject: GoTemplate::parse(source)?,
            text_only,
        })
    }

    /// The subject of a mail about `alert`; falls back to `[Priority] rule` if the template
    /// fails on this alert.
    pub fn subject(&self, alert: &Alert) -> String {
        let rendered = self
            .subject
            .render(&alert_to_template_value(alert))
            .unwrap_or_else(|_| format!("[{}] {}", alert.priority, alert.rule));
        one_line(&rendered)
    }

    /// The subject of a digest: how many alerts, the highest priority, the first rule.
    pub fn digest_subject(&self, alerts: &[Arc<Alert>]) -> String {
        let highest = alerts.iter().map(|a| a.priority).max();
        let first = alerts.first().map_or("", |a| a.rule.as_str());
        match (alerts.len(), highest) {
            (1, _) => alerts.first().map_or_else(String::new, |a| self.subject(a)),
            (n, Some(p)) => one_line(&format!("[{p}] {n} Falco alerts: {first} …")),
            (_, None) => "Falco alerts".into(),
        }
    }

    /// The plain-text body for one alert (falcosidekick's layout).
    pub fn text(alert: &Alert) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Priority: {}", alert.priority);
        let _ = writeln!(out, "Output: {}", alert.output);
        let _ = writeln!(out, "Rule: {}", alert.rule);
        let _ = writeln!(out, "Source: {}", alert.source);
        let _ = writeln!(out, "Hostname: {}", alert.hostname);
        let _ = writeln!(out, "Tags: {}", alert.tags.join(" "));
        let _ = writeln!(out, "Time: {}", falconer_event::time_to_string(&alert.time));
        let _ = writeln!(out, "UUID: {}", alert.uuid);
        out.push_str("\n--Fields--\n");
        for (key, value) in &alert.output_fields {
            let _ = writeln!(out, "{key}: {}", field_text(value));
        }
        out
    }

    /// The HTML body for one alert: a priority banner and tables, every value escaped.
    pub fn html(alert: &Alert) -> String {
        let mut out = String::from(HTML_HEAD);
        Self::html_alert(&mut out, alert);
        out.push_str(HTML_TAIL);
        out
    }

    fn html_alert(out: &mut String, alert: &Alert) {
        let _ = write!(
            out,
            "<table class=\"alert\" role=\"presentation\">\n<tr><td class=\"banner\" colspan=\"2\" style=\"background-color:{};\">{}</td></tr>\n",
            colour(alert.priority),
            escape(alert.priority.as_str())
        );
        let time = falconer_event::time_to_string(&alert.time);
        for (label, value) in [
            ("Output", alert.output.as_str()),
            ("Rule", alert.rule.as_str()),
            ("Source", alert.source.as_str()),
            ("Hostname", alert.hostname.as_str()),
            ("Time", time.as_str()),
            ("UUID", alert.uuid.as_str()),
        ] {
            let _ = writeln!(out, "<tr><th>{label}</th><td>{}</td></tr>", escape(value));
        }
        let _ = writeln!(
            out,
            "<tr><th>Tags</th><td>{}</td></tr>",
            escape(&alert.tags.join(" "))
        );
        out.push_str("</table>\n<table class=\"fields\" role=\"presentation\">\n<tr><th colspan=\"2\">Fields</th></tr>\n");
        for (key, value) in &alert.output_fields {
            let _ = writeln!(
                out,
                "<tr><th>{}</th><td>{}</td></tr>",
                escape(key),
                escape(&field_text(value))
            );
        }
        out.push_str("</table>\n");
    }

    /// The plain-text body of a digest: every alert's block, separated.
    pub fn digest_text(alerts: &[Arc<Alert>]) -> String {
        let mut out = format!("{} Falco alerts\n", alerts.len());
        for (i, alert) in alerts.iter().enumerate() {
            let _ = write!(out, "\n==== {} of {} ====\n", i + 1, alerts.len());
            out.push_str(&Self::text(alert));
        }
        out
    }

    /// The HTML body of a digest: a summary table, then every alert.
    pub fn digest_html(alerts: &[Arc<Alert>]) -> String {
        let mut out = String::from(HTML_HEAD);
        let _ = writeln!(
            out,
            "<h1>{} Falco alerts</h1>\n<table class=\"summary\" role=\"presentation\">\n<tr><th>Time</th><th>Priority</th><th>Rule</th><th>Hostname</th></tr>",
            alerts.len()
        );
        for alert in alerts {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td style=\"background-color:{};\">{}</td><td>{}</td><td>{}</td></tr>",
                escape(&falconer_event::time_to_string(&alert.time)),
                colour(alert.priority),
                escape(alert.priority.as_str()),
                escape(&alert.rule),
                escape(&alert.hostname)
            );
        }
        out.push_str("</table>\n");
        for alert in alerts {
            Self::html_alert(&mut out, alert);
        }
        out.push_str(HTML_TAIL);
        out
    }

    /// The message for `alerts` (one alert, or a digest of several), dated `date`. The
    /// Message-ID and the MIME boundary derive from the first alert's UUID, so every attempt
    /// sends the same message and receivers can tell a retry from a new mail.
    pub fn message(
        &self,
        from: &Mailbox,
        to: &[Mailbox],
        alerts: &[Arc<Alert>],
        date: SystemTime,
    ) -> Result<Message, lettre::error::Error> {
        let (subject, text, html) = match alerts {
            [alert] => (self.subject(alert), Self::text(alert), Self::html(alert)),
            many => (
                self.digest_subject(many),
                Self::digest_text(many),
                Self::digest_html(many),
            ),
        };
        let id = alerts.first().map_or("empty", |a| a.uuid.as_str());
        let id = if alerts.len() > 1 {
            format!("{id}.digest{}", alerts.len())
        } else {
            id.to_owned()
        };
        let mut builder = Message::builder()
            .from(from.clone())
            .subject(subject)
            .date(date)
            .message_id(Some(format!("<{id}@falconer>")))
            .user_agent(format!("Falconer/{}", env!("CARGO_PKG_VERSION")));
        for recipient in to {
            builder = builder.to(recipient.clone());
        }
        if self.text_only {
            builder.singlepart(SinglePart::plain(text))
        } else {
            builder.multipart(
                MultiPart::alternative()
                    .boundary(format!("falconer-{id}"))
                    .singlepart(SinglePart::plain(text))
                    .singlepart(SinglePart::html(html)),
            )
        }
    }
}

const HTML_HEAD: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Falco alert</title>\n<style>\nbody{font-family:Helvetica,Arial,sans-serif;color:#222;}\ntable{border-collapse:collapse;width:700px;margin-bottom:16px;}\nth,td{border:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top;font-size:14px;}\nth{background:#f4f4f4;width:180px;}\n.banner{font-weight:bold;font-size:18px;color:#000;}\n</style></head><body>\n";

const HTML_TAIL: &str = "</body></html>\n";
