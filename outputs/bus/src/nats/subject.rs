//! falcosidekick's subjects: `<priority>` becomes the lowercase priority, `<rule>` the rule
//! lowercased with every run of characters outside `[a-z0-9]` replaced by `_`, trimmed of `_`.

use falconer_core::Alert;

/// The rule (or any text) as falcosidekick puts it in a subject.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c);
        } else {
            gap = true;
        }
    }
    out
}

/// A parsed `subjecttemplate`.
#[derive(Clone, Debug)]
pub struct SubjectTemplate(String);

impl SubjectTemplate {
    /// The template as configured (`falco.<priority>.<rule>`).
    pub fn new(template: &str) -> Self {
        SubjectTemplate(template.to_owned())
    }

    /// The subject of `alert`.
    pub fn render(&self, alert: &Alert) -> String {
        self.0
            .replace("<priority>", alert.priority.as_lower_str())
            .replace("<rule>", &slug(&alert.rule))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_slugged_like_falcosidekick() {
        assert_eq!(
            slug("Terminal shell in container"),
            "terminal_shell_in_container"
        );
        assert_eq!(
            slug("Create/Modify Configmap With Private Credentials"),
            "create_modify_configmap_with_private_credentials"
        );
        assert_eq!(
            slug("  --Read sensitive file (untrusted)!  "),
            "read_sensitive_file_untrusted"
        );
        assert_eq!(slug("Überwachung 2"), "berwachung_2");
    }
}
