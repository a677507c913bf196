//! Go `text/template` rendering (via `gtmpl`) with an alert's output fields as data, so
//! templates written for falcosidekick (`{{ or (index . "k8s.ns.labels.team") "none" }}`)
//! work unchanged. Templates are parsed once, when the config is loaded.

use std::collections::HashMap;
use std::fmt;

use gtmpl::{Context, Template};
use gtmpl_value::{Number, Value as TValue};
use serde_json::{Map, Value};

/// A parsed Go template.
pub struct GoTemplate {
    source: String,
    template: Template,
}

/// A template that does not parse, or failed to render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

impl GoTemplate {
    /// Parses `source` once.
    ///
    /// gtmpl's parser can spin forever on some malformed input (an action left open, such as
    /// `{{ index . `), and its lexer panics on some non-ASCII input it then goes wrong on. So:
    /// unbalanced delimiters and bare non-ASCII in actions are rejected up front; a template
    /// with non-ASCII text is first parsed with that text replaced by ASCII, so that only a
    /// well-formed template ever reaches the lexer with non-ASCII in it; and each parse runs on
    /// a helper thread with a deadline. A bad template is an error, never a hang or a panic.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        check_delimiters(source)?;
        if !source.is_ascii() {
            let probe: String = source
                .chars()
                .map(|c| if c.is_ascii() { c } else { 'x' })
                .collect();
            parse_with_deadline(probe)?;
        }
        Ok(GoTemplate {
            source: source.to_owned(),
            template: parse_with_deadline(source.to_owned())?,
        })
    }

    /// The template text as written in the config.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Renders with `data` as the template's dot (`.`).
    ///
    /// gtmpl's `printf` panics on some arguments (a width over 65535, found by fuzzing); such a
    /// panic is caught here and reported as a render error, never unwound into the caller.
    pub fn render(&self, data: &TValue) -> Result<String, TemplateError> {
        let context = Context::from(data.clone());
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.template.render(&context).map_err(|e| e.to_string())
        }))
        .map_err(|_| TemplateError("the template engine failed on this template and data".into()))?
        .map_err(TemplateError)
    }

    /// Renders with a map of output fields as dot, the way falcosidekick calls templates.
    pub fn render_fields(&self, fields: &Map<String, Value>) -> Result<String, TemplateError> {
        self.render(&fields_to_template_value(fields))
    }
}

impl fmt::Debug for GoTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("GoTemplate").field(&self.source).finish()
    }
}

/// Longest a template may take to parse.
const PARSE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

/// Every `{{` must be closed by a `}}` before the next `{{` opens.
/// Parses on a helper thread, giving up after [`PARSE_DEADLINE`].
fn parse_with_deadline(source: String) -> Result<Template, TemplateError> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("template-parse".into())
        .spawn(move || {
            let mut template = Template::default();
            let result = template.parse(source).map(|()| template);
            let _ = tx.send(result.map_err(|e| TemplateError(e.to_string())));
        })
        .map_err(|e| TemplateError(format!("cannot start template parser: {e}")))?;
    rx.recv_timeout(PARSE_DEADLINE)
        .map_err(|_| TemplateError("template parser did not finish (malformed template)".into()))?
}

/// Checks what gtmpl's parser cannot be trusted with, scanning as Go's lexer does: an action
/// runs from `{{` to the first `}}` outside a quoted literal or a comment.
/// - An action left open (or a `{{` inside an action): the parser can spin forever on it.
/// - A non-ASCII character in an action outside quotes or comments (`{{ .é }}`): the lexer
///   panics on it. Falco field names are ASCII; other text belongs in quotes
///   (`{{ index . "ké" }}`) or outside actions.
fn check_delimiters(source: &str) -> Result<(), TemplateError> {
    let bytes = source.as_bytes();
    let mut i = 0;
    while let Some(open) = source[i..].find("{{") {
        let start = i + open;
        let mut j = start + 2;
        let mut quote: Option<u8> = None;
        let mut comment = false;
        loop {
            let Some(&b) = bytes.get(j) else {
                return Err(TemplateError(format!("unclosed action at byte {start}")));
            };
            let next = bytes.get(j + 1).copied();
            match (quote, comment, b) {
                (_, true, b'*') if next == Some(b'/') => {
                    comment = false;
                    j += 1;
                }
                (_, true, _) => {}
                (Some(b'"' | b'\''), _, b'\\') => j += 1,
                (Some(q), _, b) if b == q => quote = None,
                (Some(_), _, _) => {}
                (None, _, b'"' | b'\'' | b'`') => quote = Some(b),
                (None, _, b'/') if next == Some(b'*') => {
                    comment = true;
                    j += 1;
                }
                (None, _, b'}') if next == Some(b'}') => break,
                (None, _, b'{') if next == Some(b'{') => {
                    return Err(TemplateError(format!("unclosed action at byte {start}")))
                }
                (None, _, b) if !b.is_ascii() => {
                    let c = source[j..]
                        .chars()
                        .next()
                        .unwrap_or(char::REPLACEMENT_CHARACTER);
                    return Err(TemplateError(format!(
                        "non-ASCII character {c:?} in the action at byte {start}: put it in quotes"
                    )));
                }
                _ => {}
            }
            j += 1;
        }
        i = j + 2;
    }
    Ok(())
}

/// The whole alert as a template's dot, with falcosidekick's field names (`.Priority`,
/// `.Rule`, `.Output`, `.Source`, `.Hostname`, `.Tags`, `.Time`, `.UUID`, `.OutputFields`),
/// so message templates written for falcosidekick render the same. `.Time` is RFC 3339.
pub fn alert_to_template_value(alert: &crate::Alert) -> TValue {
    let mut map = HashMap::new();
    map.insert("UUID".to_owned(), TValue::String(alert.uuid.clone()));
    map.insert("Output".to_owned(), TValue::String(alert.output.clone()));
    map.insert(
        "Priority".to_owned(),
        TValue::String(alert.priority.to_string()),
    );
    map.insert("Rule".to_owned(), TValue::String(alert.rule.clone()));
    map.insert(
        "Time".to_owned(),
        TValue::String(crate::time_to_string(&alert.time)),
    );
    map.insert(
        "OutputFields".to_owned(),
        fields_to_template_value(&alert.output_fields),
    );
    map.insert("Source".to_owned(), TValue::String(alert.source.clone()));
    map.insert(
        "Tags".to_owned(),
        TValue::Array(alert.tags.iter().cloned().map(TValue::String).collect()),
    );
    map.insert(
        "Hostname".to_owned(),
        TValue::String(alert.hostname.clone()),
    );
    TValue::Map(map)
}

/// Converts output fields to the template engine's value type.
pub fn fields_to_template_value(fields: &Map<String, Value>) -> TValue {
    TValue::Map(
        fields
            .iter()
            .map(|(k, v)| (k.clone(), json_to_template_value(v)))
            .collect::<HashMap<_, _>>(),
    )
}

/// Converts one JSON value; numbers become integers or floats where they fit, else strings.
pub fn json_to_template_value(value: &Value) -> TValue {
    match value {
        Value::Null => TValue::Nil,
        Value::Bool(b) => TValue::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                TValue::Number(Number::from(i))
            } else if let Some(u) = n.as_u64() {
                TValue::Number(Number::from(u))
            } else if let Some(f) = n.as_f64().filter(|f| f.is_finite()) {
                TValue::Number(Number::from(f))
            } else {
                TValue::String(n.to_string())
            }
        }
        Value::String(s) => TValue::String(s.clone()),
        Value::Array(items) => TValue::Array(items.iter().map(json_to_template_value).collect()),
        Value::Object(map) => fields_to_template_value(map),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn falcosidekick_or_index_idiom_works() {
        let t = GoTemplate::parse(r#"{{ or (index . "k8s.ns.labels.team") "none" }}"#).unwrap();
        assert_eq!(
            t.render_fields(&fields(json!({"k8s.ns.labels.team": "payments"})))
                .unwrap(),
            "payments"
        );
        assert_eq!(
            t.render_fields(&fields(json!({"other": "x"}))).unwrap(),
            "none"
        );
    }

    #[test]
    fn range_over_a_map_visits_the_keys_in_sorted_order_like_go() {
        let t = GoTemplate::parse(r#"{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}"#).unwrap();
        let many = fields(json!({
            "proc.name": "bash", "container.id": "c1", "user.name": "root", "fd.name": "/etc/shadow",
            "k8s.ns.name": "default", "evt.time": 1, "proc.pid": 42, "a": "first", "zz": "last",
        }));
        // Go's text/template sorts a map's keys; a hash map's order would vary between runs.
        for _ in 0..20 {
            assert_eq!(
                t.render_fields(&many).unwrap(),
                "a=first;container.id=c1;evt.time=1;fd.name=/etc/shadow;k8s.ns.name=default;\
                 proc.name=bash;proc.pid=42;user.name=root;zz=last;"
            );
        }
    }

    #[test]
    fn renders_numbers_and_conditionals() {
        let t = GoTemplate::parse(
            r#"{{ if eq (index . "proc.name") "bash" }}shell{{ else }}other{{ end }}:{{ index . "pid" }}"#,
        )
        .unwrap();
        assert_eq!(
            t.render_fields(&fields(json!({"proc.name": "bash", "pid": 42})))
                .unwrap(),
            "shell:42"
        );
    }

    #[test]
    fn the_alert_renders_with_falcosidekick_field_names() {
        let alert = crate::test_alert(crate::parse_time("2024-05-14T09:21:07Z").unwrap());
        let t = GoTemplate::parse(
            r#"[{{ .Priority }}] {{ .Rule }} on {{ .Hostname }}: {{ index .OutputFields "proc.name" }}"#,
        )
        .unwrap();
        assert_eq!(
            t.render(&alert_to_template_value(&alert)).unwrap(),
            "[Debug] Test rule on falcosidekick: falcosidekick"
        );
    }

    #[test]
    fn non_ascii_is_fine_in_text_and_quotes_and_refused_bare_in_actions() {
        for ok in [
            "équipe {{ .a }} ☃",
            r#"{{ index . "ké" }}"#,
            "{{ `é` }}",
            "{{ 'é' }}",
            "{{/* é */}}",
            r#"{{ printf "%s" "日本\"é" }}"#,
        ] {
            assert!(GoTemplate::parse(ok).is_ok(), "{ok}");
        }
        let quoted_braces =
            "{{ or (index 8\".f \u{24c}k -}f \u{24c}k -}}e}endex 8\".f \u{24c}k -}}e}e\" }}";
        for bad in [
            "{{ .é }}",
            "{{ oé }}",
            "{{o\u{fffd}}}",
            "{{ $é := 1 }}",
            quoted_braces,
        ] {
            let Err(e) = GoTemplate::parse(bad) else {
                panic!("{bad} must not parse")
            };
            assert!(e.0.contains("non-ASCII"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_printf_the_engine_cannot_format_is_an_error_not_a_panic() {
        // Found by fuzzing: gtmpl's printf panics on a width over 65535.
        // (The engine's panic message is printed; the render still returns an error.)
        let t = GoTemplate::parse(r#"{{ printf "%9555559o" 8 }}"#).unwrap();
        assert!(t.render_fields(&fields(json!({}))).is_err());
    }

    #[test]
    fn parse_errors_are_reported() {
        assert!(GoTemplate::parse("{{ index . ").is_err());
        assert!(GoTemplate::parse("{{ if }}").is_err());
        assert!(GoTemplate::parse("a {{ x {{ y }}").is_err());
        assert!(GoTemplate::parse("}} plain {{ \"ok\" }}").is_ok());
    }
}
