//! The rule loader: Falco's constructs and its error messages.

use super::*;
use crate::AuditEvent;

fn file(name: &str, text: &str) -> RuleFile {
    RuleFile {
        name: name.to_owned(),
        text: text.to_owned(),
    }
}

fn load(text: &str) -> RuleSet {
    RuleSet::load(&[file("rules.yaml", text)]).unwrap_or_else(|e| panic!("{e}"))
}

fn errors(files: &[(&str, &str)]) -> Vec<String> {
    let files: Vec<RuleFile> = files.iter().map(|(n, t)| file(n, t)).collect();
    match RuleSet::load(&files) {
        Ok(_) => panic!("loaded"),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

fn event(json: serde_json::Value) -> AuditEvent {
    let mut json = json;
    json["auditID"] = "x".into();
    json["stageTimestamp"] = "2024-05-14T09:21:07.418790Z".into();
    AuditEvent::from_json(json).expect("event")
}

fn names(rules: &RuleSet) -> Vec<&str> {
    rules.enabled().map(|r| r.name.as_str()).collect()
}

const BASE: &str = r#"
- required_engine_version: 15
- required_plugin_versions:
    - name: k8saudit
      version: 0.7.0
      alternatives:
        - name: k8saudit-eks
          version: 0.2.0
- list: verbs
  items: [create, update]
- list: more_verbs
  items: [verbs, patch]
- macro: kmodify
  condition: ka.verb in (more_verbs)
- macro: container
  condition: container.id != host
- rule: Syscall rule
  condition: container and proc.name = sh
  output: shell (%proc.name)
  priority: WARNING
- rule: Modify
  desc: something was modified
  condition: kmodify and ka.target.resource = configmaps
  output: modified (user=%ka.user.name)
  priority: NOTICE
  source: k8s_audit
  tags: [k8s, b, a, k8s]
"#;

#[test]
fn lists_nest_macros_expand_and_other_sources_are_skipped() {
    let rules = load(BASE);
    assert_eq!(names(&rules), ["Modify"]);
    let rule = &rules.rules()[0];
    assert_eq!(rule.tags, ["a", "b", "k8s"]);
    assert_eq!(rule.priority, Priority::Notice);
    assert_eq!(
        rule.condition.ast().to_string(),
        "ka.verb in (create, update, patch) and ka.target.resource = configmaps"
    );
    let patch =
        event(serde_json::json!({"verb": "patch", "objectRef": {"resource": "configmaps"}}));
    assert!(rule.condition.matches(&patch));
}

#[test]
fn append_and_override_change_earlier_items() {
    let extra = r#"
- list: verbs
  items: [delete]
  append: true
- macro: kmodify
  condition: or ka.verb = get
  append: true
- rule: Modify
  condition: and ka.target.namespace != kube-system
  append: true
- rule: Modify
  output: ns=%ka.target.namespace
  tags: [extra]
  override:
    output: append
    tags: append
- rule: Modify
  priority: ERROR
  override:
    priority: replace
- rule: Syscall rule
  condition: and proc.name = bash
  append: true
- rule: Syscall rule
  enabled: false
"#;
    let rules = RuleSet::load(&[file("a.yaml", BASE), file("b.yaml", extra)])
        .unwrap_or_else(|e| panic!("{e}"));
    let rule = &rules.rules()[0];
    assert_eq!(
        rule.condition.ast().to_string(),
        "(ka.verb in (create, update, delete, patch) or ka.verb = get) \
         and ka.target.resource = configmaps and ka.target.namespace != kube-system"
    );
    assert_eq!(rule.priority, Priority::Error);
    assert_eq!(rule.tags, ["a", "b", "extra", "k8s"]);
    let keys: Vec<&str> = rule.output.keys().collect();
    assert_eq!(keys, ["ka.user.name", "ka.target.namespace"]);
}

#[test]
fn replace_override_and_enabled_only_items() {
    let extra = r#"
- macro: kmodify
  condition: ka.verb = delete
  override:
    condition: replace
- list: verbs
  items: [get]
  override:
    items: replace
- rule: Modify
  enabled: false
"#;
    let rules = RuleSet::load(&[file("a.yaml", BASE), file("b.yaml", extra)])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(names(&rules).is_empty());
    assert_eq!(
        rules.rules()[0].condition.ast().to_string(),
        "ka.verb = delete and ka.target.resource = configmaps"
    );
    let enable = "- rule: Modify\n  enabled: true\n";
    let rules = RuleSet::load(&[
        file("a.yaml", BASE),
        file("b.yaml", extra),
        file("c.yaml", enable),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names(&rules), ["Modify"]);
}

#[test]
fn a_redefined_rule_keeps_its_place() {
    let text = r#"
- rule: A
  condition: ka.verb = get
  output: a
  priority: INFO
  source: k8s_audit
- rule: B
  condition: ka.verb = get
  output: b
  priority: INFO
  source: k8s_audit
- rule: A
  condition: ka.verb = list
  output: a2
  priority: INFO
  source: k8s_audit
"#;
    let rules = load(text);
    assert_eq!(names(&rules), ["A", "B"]);
    assert_eq!(
        rules.rules()[0].condition.ast().to_string(),
        "ka.verb = list"
    );
}

#[test]
fn exceptions_exclude_their_value_tuples() {
    let text = r#"
- list: trusted_images
  items: [falco, calico/node]
- rule: Privileged
  condition: ka.req.pod.containers.privileged intersects (true)
  output: priv %ka.req.pod.containers.image
  priority: WARNING
  source: k8s_audit
  exceptions:
    - name: ns_and_image
      fields: [ka.target.namespace, ka.req.pod.containers.image.repository]
      comps: [=, in]
      values:
        - [kube-system, [trusted_images]]
        - [monitoring, [node-exporter]]
    - name: users
      fields: ka.user.name
      values: [admin, ci-bot]
    - name: empty
      fields: [ka.verb]
- rule: Privileged
  exceptions:
    - name: users
      values: [deployer]
    - name: uri_prefix
      fields: [ka.uri]
      comps: [startswith]
      values:
        - [/api/v1/namespaces/sandbox]
  append: true
"#;
    let rules = load(text);
    let rule = &rules.rules()[0];
    assert_eq!(
        rule.condition.ast().to_string(),
        "ka.req.pod.containers.privileged intersects (true) and not \
         (ka.target.namespace = kube-system and ka.req.pod.containers.image.repository in (falco, calico/node) \
         or ka.target.namespace = monitoring and ka.req.pod.containers.image.repository in (node-exporter) \
         or ka.user.name in (admin, ci-bot, deployer) \
         or ka.uri startswith /api/v1/namespaces/sandbox)"
    );
    let pod = |ns: &str, image: &str, user: &str| {
        event(serde_json::json!({
            "user": {"username": user},
            "requestURI": "/api/v1/namespaces/x/pods",
            "objectRef": {"namespace": ns},
            "requestObject": {"spec": {"containers": [
                {"image": image, "securityContext": {"privileged": true}}
            ]}}
        }))
    };
    assert!(rule.condition.matches(&pod("default", "nginx", "bob")));
    assert!(!rule
        .condition
        .matches(&pod("kube-system", "falco:0.38", "bob")));
    assert!(rule.condition.matches(&pod("kube-system", "nginx", "bob")));
    assert!(!rule.condition.matches(&pod("default", "nginx", "deployer")));
}

#[test]
fn errors_name_the_file_the_line_and_the_item() {
    let text = "- macro: good\n  condition: ka.verb = get\n\n- rule: Broken\n  condition: good and ka.verb =\n  output: x\n  priority: INFO\n  source: k8s_audit\n";
    assert_eq!(
        errors(&[("my.yaml", text)]),
        [r#"my.yaml:4: rule "Broken": condition: column 19: expected a value, found end of input"#]
    );
    let text = "- rule: Unknown field\n  condition: proc.name = sh\n  output: x\n  priority: INFO\n  source: k8s_audit\n- rule: Bad output\n  condition: ka.verb = get\n  output: 'x %proc.name'\n  priority: INFO\n  source: k8s_audit\n";
    assert_eq!(
        errors(&[("f.yaml", text)]),
        [
            r#"f.yaml:1: rule "Unknown field": condition: column 1: expected a known field, found `proc.name`"#,
            r#"f.yaml:6: rule "Bad output": output: column 3: unknown field `proc.name` in output"#,
        ]
    );
    let text = "- rule: R\n  condition: ka.verb = get\n  priority: LOUD\n  output: x\n  source: k8s_audit\n- rule: S\n  source: k8s_audit\n- rule: T\n  condition: and x\n  append: true\n- what: is this\n- macro: loop\n  condition: loop2\n- macro: loop2\n  condition: loop\n- rule: U\n  condition: loop\n  output: u\n  priority: INFO\n  source: k8s_audit\n";
    let found = errors(&[("e.yaml", text)]);
    let expected_starts = [
        r#"e.yaml:1: rule "R": unknown priority "LOUD""#,
        r#"e.yaml:6: rule "S": missing condition, output, priority"#,
        r#"e.yaml:8: rule "T": appends to or overrides a rule no earlier item defines"#,
        "e.yaml:11: item 4: unknown item",
        r#"e.yaml:16: rule "U": condition: "#,
        r#"e.yaml:12: macro "loop": refers to itself"#,
        r#"e.yaml:14: macro "loop2": condition: "#,
        r#"e.yaml:12: macro "loop": condition: "#,
    ];
    assert_eq!(found.len(), expected_starts.len(), "{found:#?}");
    for (f, e) in found.iter().zip(expected_starts) {
        assert!(f.starts_with(e), "{f}\n  does not start with\n{e}");
    }
    let found = errors(&[("y.yaml", "- rule: a\n  condition: [\n")]);
    assert!(found[0].starts_with("y.yaml:3: invalid YAML"), "{found:?}");
    let found = errors(&[("m.yaml", "rule: a\n")]);
    assert_eq!(
        found,
        ["m.yaml:1: a rules file is a YAML list of rule, macro and list items"]
    );
}

#[test]
fn a_macro_with_a_syntax_error_is_reported_even_unused() {
    let found = errors(&[("m.yaml", "- macro: m\n  condition: ka.verb in (a\n")]);
    assert_eq!(
        found,
        [r#"m.yaml:1: macro "m": condition: column 14: expected `,` or `)`, found end of input"#]
    );
}

#[test]
fn rule_matching_parses() {
    assert_eq!("first".parse(), Ok(RuleMatching::First));
    assert_eq!("ALL".parse(), Ok(RuleMatching::All));
    assert!("some".parse::<RuleMatching>().is_err());
}

#[test]
fn the_shipped_rules_load_without_warnings() {
    let rules = RuleSet::load(&[crate::default_rules()]).unwrap_or_else(|e| panic!("{e}"));
    assert!(rules.warnings().is_empty(), "{:?}", rules.warnings());
    assert!(rules.enabled().count() >= 30);
    assert!(rules
        .rules()
        .iter()
        .all(|r| r.tags.contains(&"k8s".to_owned())));
}

#[test]
fn skip_if_unknown_filter_skips_a_rule_with_a_field_of_another_source() {
    let text = "- rule: Mixed\n  condition: ka.verb = get and proc.name = sh\n  output: x\n  priority: INFO\n  source: k8s_audit\n  skip-if-unknown-filter: true\n- rule: Fine\n  condition: ka.verb = get\n  output: y\n  priority: INFO\n  source: k8s_audit\n";
    let rules = load(text);
    assert_eq!(names(&rules), ["Fine"]);
    assert_eq!(rules.warnings().len(), 1);
    assert!(
        rules.warnings()[0].contains("\"Mixed\" skipped"),
        "{:?}",
        rules.warnings()
    );
}
