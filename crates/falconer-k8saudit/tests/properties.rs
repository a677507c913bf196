//! Property tests: no body and no rules file makes the crate panic, and evaluation is
//! deterministic.

use falconer_k8saudit::{
    default_rules, parse_body, AlertSettings, BodyLimits, Engine, RuleFile, RuleMatching, RuleSet,
};
use proptest::prelude::*;

fn engine() -> Engine {
    let rules = RuleSet::load(&[default_rules()]).expect("default rules");
    Engine::new(
        rules,
        RuleMatching::All,
        AlertSettings {
            hostname: "h".into(),
            time_format_iso8601: false,
        },
    )
}

/// Audit events built from the values the shipped rules look at.
fn audit_event() -> impl Strategy<Value = String> {
    let verb = prop::sample::select(vec!["create", "update", "patch", "delete", "get", "list"]);
    let resource = prop::sample::select(vec![
        "pods",
        "configmaps",
        "secrets",
        "services",
        "namespaces",
        "serviceaccounts",
        "clusterroles",
        "roles",
        "clusterrolebindings",
        "rolebindings",
        "ingresses",
        "leases",
    ]);
    let sub = prop::option::of(prop::sample::select(vec![
        "exec",
        "attach",
        "portforward",
        "ephemeralcontainers",
        "status",
    ]));
    let stage = prop::sample::select(vec![
        "RequestReceived",
        "ResponseStarted",
        "ResponseComplete",
        "Panic",
    ]);
    let user = prop::sample::select(vec![
        "minikube-user",
        "alice",
        "system:anonymous",
        "system:kube-scheduler",
        "system:node:n1",
    ]);
    let ns = prop::sample::select(vec!["default", "kube-system", "kube-public", "prod"]);
    let code = prop::sample::select(vec![200, 201, 101, 403, 404, 500]);
    let flags = (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>());
    let name = "[a-z:*-]{0,12}";
    (verb, resource, sub, stage, user, ns, code, flags, name).prop_map(
        |(verb, resource, sub, stage, user, ns, code, (privileged, host_network, wildcard, creds), name)| {
            let mut object = serde_json::json!({"resource": resource, "namespace": ns, "name": name});
            if let Some(sub) = sub {
                object["subresource"] = sub.into();
            }
            let request = serde_json::json!({
                "data": if creds { serde_json::json!({"password": "x"}) } else { serde_json::json!({"a": "b"}) },
                "spec": {
                    "hostNetwork": host_network,
                    "type": if wildcard { "NodePort" } else { "ClusterIP" },
                    "containers": [{"image": "nginx:1", "securityContext": {"privileged": privileged}}],
                    "volumes": [{"name": "v", "hostPath": {"path": if creds { "/etc" } else { "/data" }}}]
                },
                "rules": [{"verbs": [if wildcard { "*" } else { "get" }], "resources": ["pods/exec"]}],
                "roleRef": {"name": if wildcard { "cluster-admin" } else { "view" }},
                "subjects": [{"kind": "User", "name": "u"}]
            });
            serde_json::json!({
                "kind": "Event", "auditID": "p", "stage": stage, "verb": verb,
                "requestURI": format!("/api/v1/namespaces/{ns}/{resource}/{name}?command=id"),
                "user": {"username": user}, "objectRef": object,
                "responseStatus": {"code": code},
                "annotations": {"authorization.k8s.io/decision": if code == 403 { "forbid" } else { "allow" }},
                "requestObject": request,
                "stageTimestamp": "2024-05-14T09:21:07.418790Z"
            })
            .to_string()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_bytes_are_parsed_or_refused_never_a_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_body(&body, &BodyLimits::default());
    }

    #[test]
    fn any_text_as_a_rules_file_loads_or_fails_never_a_panic(text in "[-a-z: \n\\[\\]{}(),=%\"']{0,200}") {
        let _ = RuleSet::load(&[RuleFile { name: "p.yaml".into(), text }]);
    }

    #[test]
    fn alerts_are_deterministic_and_well_formed(body in audit_event()) {
        let engine = engine();
        let parsed = parse_body(body.as_bytes(), &BodyLimits::default()).expect("valid");
        prop_assert_eq!(parsed.events.len(), 1);
        let first = engine.evaluate(&parsed.events[0]);
        let again = engine.evaluate(&parsed.events[0]);
        prop_assert_eq!(first.len(), again.len());
        for (a, b) in first.iter().zip(&again) {
            prop_assert_eq!(a.to_json(), b.to_json());
            prop_assert_eq!(&a.source, "k8s_audit");
            prop_assert!(a.output.starts_with("09:21:07.418790000: "));
            prop_assert!(a.output_fields.contains_key("evt.time"));
            prop_assert!(a.validate().is_ok());
        }
        // Only ResponseComplete (and ResponseStarted for exec/attach/port-forward) alert.
        let stage = parsed.events[0].json()["stage"].as_str().unwrap_or_default().to_owned();
        if stage == "RequestReceived" || stage == "Panic" {
            prop_assert!(first.is_empty(), "{:?}", first.iter().map(|a| &a.rule).collect::<Vec<_>>());
        }
    }
}
