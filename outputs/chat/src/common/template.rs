//! `messageformat`: a Go template over the whole alert, parsed once when the config is
//! validated and built, rendered per alert.

use falconer_event::{alert_to_template_value, Alert, GoTemplate, TemplateError};
use gtmpl_value::Value as TValue;

use crate::common::gofmt::go_time_string;

/// An optional message template (`messageformat`). Empty source: no template.
#[derive(Debug, Default)]
pub struct MessageFormat(Option<GoTemplate>);

impl MessageFormat {
    /// Parses `source` (an empty or blank source means no template).
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        if source.trim().is_empty() {
            return Ok(MessageFormat(None));
        }
        GoTemplate::parse(source).map(|t| MessageFormat(Some(t)))
    }

    /// Pushes a problem for `key` when `source` does not parse (for `validate`).
    pub fn check(key: &str, source: &str, problems: &mut falconer_core::Problems) {
        if let Err(e) = MessageFormat::parse(source) {
            problems.push(key, format!("invalid template: {e}"));
        }
    }

    /// True when a template is set.
    pub fn is_set(&self) -> bool {
        self.0.is_some()
    }

    /// The rendered text; empty without a template, or (logged) when rendering fails on this
    /// alert, as falcosidekick does.
    ///
    /// The template sees falcosidekick's payload: `.Output`, `.Priority`, `.Rule`, `.Source`,
    /// `.Hostname`, `.Tags`, `.UUID`, `.OutputFields`, and `.Time` printed as Go prints a
    /// `time.Time` (`2024-05-14 09:21:07.41879 +0000 UTC`), which is what `{{ .Time }}` gives
    /// in falcosidekick's templates.
    pub fn render(&self, alert: &Alert) -> String {
        let Some(template) = &self.0 else {
            return String::new();
        };
        let mut value = alert_to_template_value(alert);
        if let TValue::Map(map) = &mut value {
            map.insert("Time".into(), TValue::String(go_time_string(&alert.time)));
        }
        match template.render(&value) {
            Ok(text) => text,
            Err(error) => {
                tracing::warn!(%error, rule = %alert.rule, "Message template failed; sending without its text.");
                String::new()
            }
        }
    }
}
