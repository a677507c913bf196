//! Field values over realistic audit events.

use falconer_expr::{Fields, Value};
use serde_json::json;

use super::*;

fn event(json: serde_json::Value) -> AuditEvent {
    AuditEvent::from_json(json).expect("event")
}

fn text(e: &AuditEvent, name: &str, arg: Option<&str>) -> Option<String> {
    crate::Engine::field_text(e, name, arg)
}

fn pod_event() -> AuditEvent {
    event(json!({
        "kind": "Event", "auditID": "a1", "stage": "ResponseComplete", "verb": "create",
        "requestURI": "/api/v1/namespaces/prod/pods?fieldManager=kubectl-run&dryRun=All",
        "user": {"username": "alice", "groups": ["devs", "system:authenticated"]},
        "impersonatedUser": {"username": "bob"},
        "sourceIPs": ["10.0.0.7", "10.0.0.8"],
        "userAgent": "kubectl/v1.30.2",
        "objectRef": {"resource": "pods", "namespace": "prod", "name": "web"},
        "responseStatus": {"code": 201, "reason": ""},
        "annotations": {
            "authorization.k8s.io/decision": "allow",
            "authorization.k8s.io/reason": "RBAC: ok",
            "pod-security.kubernetes.io/audit-violations": "privileged",
            "cluster_name": "eu-1"
        },
        "requestObject": {"spec": {
            "hostNetwork": true, "hostPID": false,
            "securityContext": {"runAsUser": 1000, "fsGroup": 2000, "supplementalGroups": [3, 4]},
            "containers": [
                {"name": "app", "image": "reg:5000/team/app:v1@sha256:abc", "command": ["run", "-x"],
                 "securityContext": {"privileged": true, "runAsUser": 0,
                     "capabilities": {"add": ["NET_ADMIN", "SYS_TIME"]}},
                 "ports": [{"containerPort": 8080}, {"containerPort": 53, "hostPort": 53}]},
                {"name": "side", "image": "busybox",
                 "securityContext": {"readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false}}
            ],
            "initContainers": [{"name": "init", "image": "alpine:3"}],
            "volumes": [
                {"name": "root", "hostPath": {"path": "/etc/kubernetes"}},
                {"name": "cfg", "configMap": {"name": "x"}},
                {"name": "flex", "flexVolume": {"driver": "acme/fs"}}
            ]
        }},
        "responseObject": {"metadata": {"name": "web"}},
        "stageTimestamp": "2024-05-14T09:21:07.418790Z"
    }))
}

#[test]
fn scalar_fields_read_their_place_in_the_event() {
    let e = pod_event();
    for (name, arg, expected) in [
        ("ka.auditid", None, Some("a1")),
        ("ka.stage", None, Some("ResponseComplete")),
        ("ka.verb", None, Some("create")),
        ("ka.user.name", None, Some("alice")),
        ("ka.impuser.name", None, Some("bob")),
        ("ka.auth.decision", None, Some("allow")),
        ("ka.auth.reason", None, Some("RBAC: ok")),
        ("ka.security.pod.violations", None, Some("privileged")),
        ("ka.cluster.name", None, Some("eu-1")),
        ("ka.uri.param", Some("dryRun"), Some("All")),
        ("ka.uri.param", Some("nope"), None),
        ("ka.target.name", None, Some("web")),
        ("ka.target.namespace", None, Some("prod")),
        ("ka.target.resource", None, Some("pods")),
        ("ka.target.subresource", None, None),
        ("ka.target.pod.name", None, Some("web")),
        ("ka.resp.name", None, Some("web")),
        ("ka.response.code", None, Some("201")),
        ("ka.response.reason", None, Some("")),
        ("ka.useragent", None, Some("kubectl/v1.30.2")),
        ("ka.req.pod.host_network", None, Some("true")),
        ("ka.req.pod.host_pid", None, Some("false")),
        ("ka.req.pod.host_ipc", None, None),
        ("ka.req.pod.run_as_user", None, Some("1000")),
        ("ka.req.pod.fs_group", None, Some("2000")),
        (
            "ka.req.container.image",
            None,
            Some("reg:5000/team/app:v1@sha256:abc"),
        ),
        (
            "ka.req.container.image.repository",
            None,
            Some("reg:5000/team/app"),
        ),
        ("ka.req.container.privileged", None, Some("true")),
        (
            "ka.req.volume.hostpath",
            Some("/etc/kubernetes"),
            Some("true"),
        ),
        ("ka.req.volume.hostpath", Some("/etc*"), Some("true")),
        ("ka.req.volume.hostpath", Some("/var"), Some("false")),
        ("jevt.value", Some("/objectRef/namespace"), Some("prod")),
        ("jevt.value", Some("/responseStatus/code"), Some("201")),
        (
            "jevt.value",
            Some("/sourceIPs"),
            Some(r#"["10.0.0.7","10.0.0.8"]"#),
        ),
        ("jevt.value", Some("/nope"), None),
        ("jevt.rawtime", None, Some("1715678467418790000")),
        ("jevt.time", None, Some("2024-05-14T09:21:07.418790000Z")),
        ("evt.source", None, Some("k8s_audit")),
    ] {
        assert_eq!(text(&e, name, arg).as_deref(), expected, "{name}[{arg:?}]");
    }
}

#[test]
fn list_fields_give_one_value_per_item_and_take_an_index() {
    let e = pod_event();
    for (name, expected) in [
        ("ka.user.groups", "(devs,system:authenticated)"),
        ("ka.sourceips", "(10.0.0.7,10.0.0.8)"),
        ("ka.req.pod.containers.name", "(app,side)"),
        (
            "ka.req.pod.containers.image.repository",
            "(reg:5000/team/app,busybox)",
        ),
        ("ka.req.pod.containers.command", "(run -x)"),
        ("ka.req.pod.containers.privileged", "(true,false)"),
        (
            "ka.req.pod.containers.allow_privilege_escalation",
            "(true,false)",
        ),
        ("ka.req.pod.containers.read_only_fs", "(false,true)"),
        ("ka.req.pod.containers.run_as_user", "(0)"),
        ("ka.req.pod.containers.eff_run_as_user", "(0,1000)"),
        ("ka.req.pod.containers.eff_run_as_group", "(0,0)"),
        (
            "ka.req.pod.containers.add_capabilities",
            "(NET_ADMIN,SYS_TIME)",
        ),
        ("ka.req.pod.containers.host_port", "(8080,53)"),
        ("ka.req.pod.initContainers.image", "(alpine:3)"),
        ("ka.req.pod.volumes.hostpath", "(/etc/kubernetes)"),
        (
            "ka.req.pod.volumes.volume_type",
            "(hostPath,configMap,flexVolume)",
        ),
        ("ka.req.pod.volumes.flexvolume_driver", "(acme/fs)"),
        ("ka.req.pod.supplemental_groups", "(3,4)"),
    ] {
        assert_eq!(text(&e, name, None).as_deref(), Some(expected), "{name}");
    }
    assert_eq!(
        text(&e, "ka.req.pod.containers.image", Some("1")).as_deref(),
        Some("busybox")
    );
    assert_eq!(text(&e, "ka.req.pod.containers.image", Some("2")), None);
    assert_eq!(text(&e, "ka.req.pod.ephemeralContainers.image", None), None);
    assert_eq!(
        e.field("ka.req.pod.ephemeralContainers.name", None),
        Value::Missing
    );
}

#[test]
fn binding_and_role_fields() {
    let e = event(json!({
        "auditID": "b", "stageTimestamp": "2024-05-14T09:21:07Z",
        "objectRef": {"resource": "rolebindings", "namespace": "dev", "name": "rb"},
        "requestObject": {
            "roleRef": {"kind": "ClusterRole", "name": "edit"},
            "subjects": [
                {"kind": "User", "name": "carol"},
                {"kind": "ServiceAccount", "name": "ci", "namespace": "build"},
                {"kind": "Group", "name": "ops"}
            ],
            "rules": [{"apiGroups": [""], "resources": ["pods", "pods/exec"], "verbs": ["get", "create"]},
                      {"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]
        }
    }));
    for (name, expected) in [
        ("ka.req.binding.role", "edit"),
        ("ka.req.binding.subjects.user_names", "(carol)"),
        ("ka.req.binding.subjects.serviceaccount_names", "(ci)"),
        (
            "ka.req.binding.subjects.serviceaccount_ns_names",
            "(build:ci)",
        ),
        ("ka.req.binding.subjects.group_names", "(ops)"),
        ("ka.req.role.rules.resources", "(pods,pods/exec)"),
        ("ka.req.role.rules.verbs", "(get,create,get)"),
        ("ka.req.role.rules.apiGroups", "()"),
        ("ka.req.role.rules.nonResourceURLs", "(/metrics)"),
    ] {
        assert_eq!(text(&e, name, None).as_deref(), Some(expected), "{name}");
    }
    assert_eq!(
        text(&e, "ka.req.binding.subjects", Some("0")).as_deref(),
        Some(r#"{"kind":"User","name":"carol"}"#)
    );
    // Not a pod: no pod name.
    assert_eq!(text(&e, "ka.target.pod.name", None), None);
}

#[test]
fn without_an_audit_id_every_ka_field_is_missing() {
    let e = event(json!({"verb": "get", "stageTimestamp": "2024-05-14T09:21:07Z"}));
    assert_eq!(e.field("ka.verb", None), Value::Missing);
    assert_eq!(
        text(&e, "jevt.value", Some("/verb")).as_deref(),
        Some("get")
    );
}

#[test]
fn the_schema_types_every_field_and_refuses_others() {
    use falconer_expr::{FieldType, Schema};
    assert_eq!(K8sAuditSchema.field_type("ka.verb"), Some(FieldType::Text));
    assert_eq!(
        K8sAuditSchema.field_type("ka.user.groups"),
        Some(FieldType::List)
    );
    assert_eq!(
        K8sAuditSchema.field_type("evt.rawtime"),
        Some(FieldType::Number)
    );
    assert_eq!(K8sAuditSchema.field_type("proc.name"), None);
    // Every list field of the table has a cache slot, and every slot a table entry.
    for info in FIELDS.iter().filter(|f| f.kind == FieldKind::List) {
        assert!(list_slot(info.name).is_some(), "{}", info.name);
    }
    assert_eq!(
        FIELDS.iter().filter(|f| f.kind == FieldKind::List).count(),
        LIST_SLOTS
    );
}

#[test]
fn json_pointers_walk_objects_and_arrays_and_unescape() {
    let e = event(json!({
        "auditID": "p", "stageTimestamp": "2024-05-14T09:21:07Z",
        "a": {"b/c": 1, "m~n": 2, "list": ["x", "y"], "": "empty"}
    }));
    for (ptr, expected) in [
        ("/a/list/1", Some("y")),
        ("/a/list/01", None),
        ("/a/list/2", None),
        ("/a/b~1c", Some("1")),
        ("/a/m~0n", Some("2")),
        ("/a/", Some("empty")),
        ("a", None),
        ("/auditID", Some("p")),
    ] {
        assert_eq!(
            text(&e, "jevt.value", Some(ptr)).as_deref(),
            expected,
            "{ptr}"
        );
    }
}
