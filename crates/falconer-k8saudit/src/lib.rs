//! Kubernetes audit events straight into Falconer: the body the kube-apiserver's audit
//! webhook POSTs, the `ka.*` fields of Falco's k8saudit plugin (and the json plugin's
//! `jevt.*`), Falco's rule language for the `k8s_audit` source, and the alert each matching
//! rule raises, shaped exactly as Falco emits it.
//!
//! ```
//! use falconer_k8saudit::{AlertSettings, Engine, RuleMatching, RuleSet};
//!
//! let rules = RuleSet::load(&[falconer_k8saudit::default_rules()]).unwrap();
//! let settings = AlertSettings { hostname: "minikube".into(), time_format_iso8601: false };
//! let engine = Engine::new(rules, RuleMatching::First, settings);
//! let body = br#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{
//!   "kind":"Event","auditID":"1","stage":"ResponseComplete","verb":"create",
//!   "user":{"username":"minikube-user"},
//!   "objectRef":{"resource":"configmaps","namespace":"default","name":"aws-creds"},
//!   "requestObject":{"data":{"aws_access_key_id":"AKES20LNOA"}},
//!   "responseStatus":{"code":201},
//!   "stageTimestamp":"2024-05-14T09:21:07.418790Z"}]}"#;
//! let parsed = falconer_k8saudit::parse_body(body, &Default::default()).unwrap();
//! let alerts = engine.evaluate(&parsed.events[0]);
//! assert_eq!(alerts[0].rule, "Create/Modify Configmap With Private Credentials");
//! ```

mod alert;
mod body;
mod event;
pub mod fields;
mod output;
pub mod rules;

use falconer_event::Alert;
use falconer_expr::Fields as _;

pub use alert::{
    build_alert, clock_time, default_hostname, falco_json, iso8601_falco, iso8601_utc,
    AlertSettings,
};
pub use body::{
    parse_body, BodyError, BodyLimits, ParsedBody, SkipReason, Skipped, DEFAULT_MAX_EVENT_BYTES,
    DEFAULT_MAX_REQUEST_BYTES,
};
pub use event::{AuditEvent, EventError};
pub use fields::K8sAuditSchema;
pub use output::{FormatError, OutputFormat};
pub use rules::{LoadError, LoadErrors, Rule, RuleFile, RuleMatching, RuleSet};

/// The event source of audit alerts.
pub const SOURCE: &str = "k8s_audit";

/// Falconer's own default rules for the `k8s_audit` source.
pub const DEFAULT_RULES: &str = include_str!("../rules/k8s_audit_rules.yaml");

/// The name [`default_rules`] gives the embedded file in messages.
pub const EMBEDDED_RULES_NAME: &str = "<embedded k8s_audit_rules.yaml>";

/// [`DEFAULT_RULES`] as a rules file.
pub fn default_rules() -> RuleFile {
    RuleFile {
        name: EMBEDDED_RULES_NAME.to_owned(),
        text: DEFAULT_RULES.to_owned(),
    }
}

/// The entry of a rules file list that stands for the embedded default rules.
pub const DEFAULT_RULES_ENTRY: &str = "default";

/// Reads rules files from disk, each named by its path; an empty list, or the entry
/// [`DEFAULT_RULES_ENTRY`], is the embedded default rules.
pub fn read_rule_files(paths: &[String]) -> Result<Vec<RuleFile>, LoadErrors> {
    if paths.is_empty() {
        return Ok(vec![default_rules()]);
    }
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path == DEFAULT_RULES_ENTRY {
            files.push(default_rules());
            continue;
        }
        match std::fs::read_to_string(path) {
            Ok(text) => files.push(RuleFile {
                name: path.clone(),
                text,
            }),
            Err(e) => errors.push(LoadError {
                file: path.clone(),
                line: None,
                item: None,
                message: format!("cannot read: {e}"),
            }),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(LoadErrors(errors))
    }
}

/// Reads and loads `paths` (see [`read_rule_files`]) into an engine.
pub fn load_engine(
    paths: &[String],
    matching: RuleMatching,
    settings: AlertSettings,
) -> Result<Engine, LoadErrors> {
    let rules = RuleSet::load(&read_rule_files(paths)?)?;
    for warning in rules.warnings() {
        tracing::warn!("{warning}");
    }
    Ok(Engine::new(rules, matching, settings))
}

/// Rules, matching mode and alert settings: evaluates audit events into alerts.
#[derive(Debug, Clone)]
pub struct Engine {
    rules: Vec<Rule>,
    matching: RuleMatching,
    settings: AlertSettings,
}

impl Engine {
    /// An engine evaluating the enabled rules of `rules`.
    pub fn new(rules: RuleSet, matching: RuleMatching, settings: AlertSettings) -> Engine {
        Engine {
            rules: rules.enabled().cloned().collect(),
            matching,
            settings,
        }
    }

    /// The rules evaluated, in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rules that match `event`, in order (only the first with [`RuleMatching::First`]).
    pub fn matching_rules<'a>(&'a self, event: &AuditEvent) -> Vec<&'a Rule> {
        let mut matched = Vec::new();
        for rule in &self.rules {
            if rule.condition.matches(event) {
                matched.push(rule);
                if self.matching == RuleMatching::First {
                    break;
                }
            }
        }
        matched
    }

    /// The alerts `event` raises.
    pub fn evaluate(&self, event: &AuditEvent) -> Vec<Alert> {
        self.matching_rules(event)
            .into_iter()
            .map(|rule| build_alert(rule, event, &self.settings))
            .collect()
    }

    /// The value of one field for `event`, as a rule would read it (for tools and tests).
    pub fn field_text(event: &AuditEvent, name: &str, arg: Option<&str>) -> Option<String> {
        match event.field(name, arg) {
            falconer_expr::Value::Missing | falconer_expr::Value::List([]) => None,
            falconer_expr::Value::Str(s) => Some(s.to_owned()),
            falconer_expr::Value::Owned(s) => Some(s),
            falconer_expr::Value::List(items) => Some(format!("({})", items.join(","))),
            falconer_expr::Value::Num(n) => Some(n.to_string()),
            falconer_expr::Value::Bool(b) => Some(b.to_string()),
            falconer_expr::Value::Rank(r) => Some(r.to_string()),
        }
    }
}
