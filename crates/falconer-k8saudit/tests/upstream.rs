//! Rules files written like Falco's upstream `k8s_audit_rules.yaml` (every construct it uses)
//! load unchanged, with a user's override file on top, and evaluate as Falco would.

use std::path::Path;

use falconer_k8saudit::{
    parse_body, AlertSettings, BodyLimits, Engine, RuleFile, RuleMatching, RuleSet,
};

fn file(name: &str) -> RuleFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    RuleFile {
        name: name.to_owned(),
        text: std::fs::read_to_string(path).expect("fixture"),
    }
}

fn engine(files: &[&str], matching: RuleMatching) -> Engine {
    let files: Vec<RuleFile> = files.iter().map(|f| file(f)).collect();
    let rules = RuleSet::load(&files).unwrap_or_else(|e| panic!("{e}"));
    assert!(rules.warnings().is_empty(), "{:?}", rules.warnings());
    Engine::new(
        rules,
        matching,
        AlertSettings {
            hostname: "node-1".into(),
            time_format_iso8601: false,
        },
    )
}

fn fired(engine: &Engine, fixture: &str) -> Vec<Vec<String>> {
    let body = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(format!("{fixture}.json")),
    )
    .expect("fixture");
    let parsed = parse_body(&body, &BodyLimits::default()).expect("body");
    parsed
        .events
        .iter()
        .map(|e| engine.evaluate(e).into_iter().map(|a| a.rule).collect())
        .collect()
}

#[test]
fn the_upstream_style_file_loads_and_fires_like_falco() {
    let engine = engine(&["upstream_style_rules.yaml"], RuleMatching::First);
    let names: Vec<&str> = engine.rules().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Disallowed K8s User",
            "Create Privileged Pod",
            "Create Sensitive Mount Pod",
            "Attach/Exec Pod",
            "ClusterRole With Wildcard Created",
            "Create/Modify Configmap With Private Credentials",
            "Anonymous Request Allowed",
            "All K8s Audit Events",
        ]
    );
    let anonymous = fired(&engine, "anonymous_allowed");
    assert_eq!(
        anonymous,
        [vec![], vec!["Anonymous Request Allowed".to_owned()]]
    );
    let vpa = &engine.rules()[0];
    assert!(
        vpa.condition
            .ast()
            .to_string()
            .contains("vpa-updater, cluster-autoscaler"),
        "{}",
        vpa.condition.ast()
    );
    assert_eq!(
        fired(&engine, "configmap_aws_credentials"),
        [["Create/Modify Configmap With Private Credentials"]]
    );
    assert_eq!(
        fired(&engine, "privileged_pod"),
        [["Create Privileged Pod"]]
    );
    assert_eq!(
        fired(&engine, "exec_into_pod"),
        [vec!["Attach/Exec Pod".to_owned()], vec![]]
    );
    // alice is not allow-listed: Disallowed K8s User comes first in the file and takes it.
    assert_eq!(
        fired(&engine, "namespace_deleted"),
        [["Disallowed K8s User"]]
    );
}

#[test]
fn a_users_override_file_changes_lists_macros_exceptions_and_priorities() {
    let engine = engine(
        &["upstream_style_rules.yaml", "user_overrides.yaml"],
        RuleMatching::All,
    );
    // alice is allowed now, ubuntu is a privileged image, and the shell rule stays skipped.
    assert_eq!(fired(&engine, "namespace_deleted"), [Vec::<String>::new()]);
    assert_eq!(fired(&engine, "privileged_pod"), [Vec::<String>::new()]);
    let exec = engine
        .rules()
        .iter()
        .find(|r| r.name == "Attach/Exec Pod")
        .expect("rule");
    assert_eq!(exec.priority, falconer_event::Priority::Warning);
    assert!(exec
        .condition
        .ast()
        .to_string()
        .contains("ka.user.name = ci-bot"));
    let mount = engine
        .rules()
        .iter()
        .find(|r| r.name == "Create Sensitive Mount Pod")
        .expect("rule");
    assert!(
        mount
            .condition
            .ast()
            .to_string()
            .ends_with("and not (ka.target.namespace = monitoring and ka.req.pod.volumes.hostpath intersects (/proc, /))"),
        "{}",
        mount.condition.ast()
    );
}
