//! PolicyReport against a fake API server: the namespaced and the cluster report created,
//! an existing report replaced with its `resourceVersion`, conflicts read again, `maxevents`
//! and `prunebypriority`, the summary, classification, env variables.

use std::sync::Arc;

use falconer_core::Alert;
use falconer_http::contract::{assert_rejected, deliver, from_env, launch, quick, WAIT};
use falconer_outputs_kubernetes::policyreport::KIND;
use falconer_testkit::{enriched, fast_retries, RecordingSink, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use crate::apiserver::{
    assert_call, assert_golden, conflict, earlier, not_found, object, report, status,
    KubeconfigFile, API,
};

const NS_REPORT: &str = "/apis/wgpolicyk8s.io/v1alpha2/namespaces/default/policyreports";
const NS_REPORT_ONE: &str =
    "/apis/wgpolicyk8s.io/v1alpha2/namespaces/default/policyreports/falco-policy-report";

/// A k8s audit alert about a secret of namespace `payments`.
const SECRET_ALERT: &str = r#"{"output":"10:02:11.000000000: Error K8s secret read (user=dev verb=get secret=db-password ns=payments)","priority":"Error","rule":"Read secret","time":"2024-05-14T10:02:11.250Z","source":"k8s_audit","tags":["k8s"],"output_fields":{"ka.target.namespace":"payments","ka.target.name":"db-password","ka.target.resource":"secrets","ka.user.name":"dev","ka.verb":"get"}}"#;
/// A plugin alert falcosidekick does not report.
const CLOUDTRAIL_ALERT: &str = r#"{"output":"Console login without MFA","priority":"Critical","rule":"Console Login Without MFA","time":"2024-05-14T10:02:11Z","source":"aws_cloudtrail","output_fields":{"ct.user":"root"}}"#;

fn shell(n: u128) -> Arc<Alert> {
    enriched(SHELL_ALERT, n)
}

/// A syscall alert of namespace `default` with `priority` and `rule`.
fn syscall(priority: &str, rule: &str, n: u128) -> Arc<Alert> {
    let text = json!({
        "output": format!("{rule} happened"), "priority": priority, "rule": rule,
        "time": "2024-05-14T16:31:56.5Z", "source": "syscall",
        "output_fields": {"k8s.ns.name": "default", "k8s.pod.name": "api-0", "proc.name": "nc"},
    });
    enriched(&text.to_string(), n)
}

fn settings(kubeconfig: &KubeconfigFile, extra: Value) -> Value {
    let mut s = json!({"enabled": true, "kubeconfig": kubeconfig.path().display().to_string()});
    if let (Some(s), Value::Object(extra)) = (s.as_object_mut(), extra) {
        s.extend(extra);
    }
    s
}

fn created(namespace: Option<&str>) -> Value {
    json!({"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
           "metadata": {"name": "falco-policy-report", "namespace": namespace, "resourceVersion": "1"}})
}

#[tokio::test]
async fn a_namespaced_alert_creates_the_policy_report_of_its_namespace() {
    let api = RecordingSink::start().await;
    let kubeconfig = KubeconfigFile::new(&api);
    api.script([
        not_found("falco-policy-report"),
        object(201, &created(Some("default"))),
    ]);
    let got = deliver(
        &api,
        KIND,
        settings(&kubeconfig, json!({})),
        quick(1),
        &[shell(1)],
    )
    .await;
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_call(&got[0], "GET", NS_REPORT_ONE);
    assert_call(&got[1], "POST", NS_REPORT);
    let body = got[1].json();
    assert_eq!(body["kind"], "PolicyReport");
    assert_eq!(body["metadata"]["namespace"], "default");
    assert_eq!(
        body["summary"],
        json!({"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 1})
    );
    assert_eq!(
        body["results"][0]["resources"],
        json!([{"apiVersion": "v1", "kind": "Pod", "name": "web-7d9c", "namespace": "default"}])
    );
    assert_golden(&got[1], "create-namespaced.json");
}

#[tokio::test]
async fn an_alert_without_a_namespace_creates_the_cluster_report() {
    let api = RecordingSink::start().await;
    let kubeconfig = KubeconfigFile::new(&api);
    api.script([
        not_found("falco-cluster-policy-report"),
        object(201, &json!({"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "ClusterPolicyReport",
                            "metadata": {"name": "falco-cluster-policy-report", "resourceVersion": "1"}})),
    ]);
    let alert = enriched(CONFIGMAP_ALERT, 2);
    let got = deliver(
        &api,
        KIND,
        settings(&kubeconfig, json!({})),
        quick(1),
        &[alert],
    )
    .await;
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_call(
        &got[0],
        "GET",
        &format!("{API}/clusterpolicyreports/falco-cluster-policy-report"),
    );
    assert_call(&got[1], "POST", &format!("{API}/clusterpolicyreports"));
    let body = got[1].json();
    assert_eq!(body["kind"], "ClusterPolicyReport");
    assert!(body["metadata"].get("namespace").is_none(), "{body}");
    assert_eq!(body["summary"]["warn"], 1);
    assert_golden(&got[1], "create-cluster.json");
}

#[tokio::test]
async fn a_k8s_audit_alert_goes_to_its_target_namespace() {
    let api = RecordingSink::start().await;
    let kubeconfig = KubeconfigFile::new(&api);
    api.script([
        not_found("falco-policy-report"),
        object(201, &created(Some("payments"))),
    ]);
    let alert = enriched(SECRET_ALERT, 3);
    let got = deliver(
        &api,
        KIND,
        settings(&kubeconfig, json!({})),
        quick(1),
        &[alert],
    )
    .await;
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_call(
        &got[0],
        "GET",
        &format!("{API}/namespaces/payments/policyreports/falco-policy-report"),
    );
    assert_call(
        &got[1],
        "POST",
        &format!("{API}/namespaces/payments/policyreports"),
    );
    let result = &got[1].json()["results"][0];
    assert_eq!(
        result["resources"],
        json!([{"apiVersion": "v1", "kind": "Secret", "name": "db-password", "namespace": "payments"}])
    );
    assert_eq!(
        (result["severity"].as_str(), result["result"].as_str()),
        (Some("high"), Some("fail"))
    );
    assert_eq!(
        result["timestamp"],
        json!({"seconds": 1_715_680_931_i64, "nanos": 250_000_000})
    );
    assert_golden(&got[1], "create-k8saudit.json");
}

#[tokio::test]
async fn an_existing_report_is_replaced_with_its_resource_version() {
    let api = RecordingSink::start().await;
    let kubeconfig = KubeconfigFile::new(&api);
    let existing = report(
        "default",
        "41",
        vec![
            earlier("Drop and execute new binary", "high", "fail", 1_715_000_000),
            earlier(
                "Contact K8S API Server From Container",
                "low",
                "skip",
                1_715_000_100,
            ),
        ],
    );
    api.script([object(200, &existing), object(200, &existing)]);
    let got = deliver(
        &api,
        KIND,
        settings(&kubeconfig, json!({})),
        quick(1),
        &[shell(4)],
    )
    .await;
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_call(&got[0], "GET", NS_REPORT_ONE);
    assert_call(&got[1], "PUT", NS_REPORT_ONE);
    let body = got[1].json();
    assert_eq!(body["metadata"]["resourceVersion"], "41");
    assert_eq!(
        body["metadata"]["labels"]["team"], "security",
        "other labels kept"
    );
    assert_eq!(body["results"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        body["summary"],
        json!({"pass": 0, "fail": 1, "warn": 0, "error": 0, "skip": 2})
    );
    assert_golden(&got[1], "replace.json");
}

#[tokio::test]
async fn a_conflict_reads_the_report_again_and_retries_in_the_same_delivery() {
    let api = RecordingSink::start().await;
    let kubeconfig = KubeconfigFile::new(&api);
    let first = report("default", "7", vec![]);
    let other = earlier(
        "Written by another replica",
        "medium",
        "warn",
        1_715_000_200,
    );
    let second = report("default", "8", vec![other.clone()]);
    api.script([
        object(200, &first),
        conflict("falco-policy-report"),
        object(200, &second),
        object(200, &second),
    ]);
    let env = launch(KIND, settings(&kubeconfig, json!({})), fast_retries(1)).await;
    env.dispatcher.dispatch(shell(5)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());
    let got = api.requests();
    let calls: Vec<&str> = got.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(
        calls,
        ["GET", "PUT", "GET", "PUT"],
        "one attempt of the core"
    );
    let last = got[3].json();
    assert_eq!(last["metadata"]["resourceVersion"], "8");
    assert_eq!(
        last["results"][0], other,
        "the other writer's result is kept"
    );
    assert_eq!(
        last["summary"],
        json!({"pass": 0, "fail": 0, "warn": 1, "error": 0, "skip": 1})
    );
}

#[tokio::test]
async fn endless_conflicts_end_the_attempt_and_the_core_retries_it() {
    let api = RecordingSink::start().await;
    let kubeconfig = KubeconfigFile::new(&api);
    let existing = report("default", "3", vec![]);
    for _ in 0..5 {
        api.script([object(200, &existing), conflict("falco-policy-report")]);
    }
    api.script([
        not_found("falco-policy-report"),
        object(201, &created(Some("default"))),
    ]);
    let env = launch(KIND, settings(&kubeconfig, json!({})), fast_retries(3)).await;
    env.dispatcher.dispatch(shell(6)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());
    let got = api.requests();
    assert_eq!(got.len(), 12, "5 conflicting rounds, then a second attempt");
    assert_call(&got[11], "POST", NS_REPORT);
}

/// Delivers `alert` onto the namespaced report holding `results`, with the `extra` settings;
/// returns the report written back.
async fn replaced_onto(results: Vec<Value>, extra: Value, alert: Arc<Alert>) -> Value {
    let api = RecordingSink::start().await;
    let kubeconfig = KubeconfigFile::new(&api);
    let existing = report("default", "12", results);
    api.script([object(200, &existing), object(200, &existing)]);
    let got = deliver(&api, KIND, settings(&kubeconfig, extra), quick(1), &[alert]).await;
    got[1].json()
}

/// The `policy` of each result of `report`, in order.
fn policies(report: &Value) -> Vec<&str> {
    report["results"]
        .as_array()
        .map(|r| r.iter().filter_map(|x| x["policy"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn maxevents_drops_the_oldest_results() {
    let body = replaced_onto(
        vec![
            earlier("one", "critical", "fail", 1),
            earlier("two", "medium", "warn", 2),
            earlier("three", "high", "fail", 3),
        ],
        json!({"maxevents": 3}),
        syscall("Critical", "four", 7),
    )
    .await;
    assert_eq!(policies(&body), ["two", "three", "four"]);
    assert_eq!(
        body["summary"],
        json!({"pass": 0, "fail": 2, "warn": 1, "error": 0, "skip": 0})
    );
}

#[tokio::test]
async fn prunebypriority_drops_the_oldest_info_low_or_medium_result_first() {
    let body = replaced_onto(
        vec![
            earlier("one", "critical", "fail", 1),
            earlier("two", "high", "fail", 2),
            earlier("three", "medium", "warn", 3),
            earlier("four", "low", "skip", 4),
        ],
        json!({"maxevents": 4, "prunebypriority": true}),
        syscall("Error", "five", 8),
    )
    .await;
    assert_eq!(policies(&body), ["one", "two", "four", "five"]);
    assert_eq!(
        body["summary"],
        json!({"pass": 0, "fail": 3, "warn": 0, "error": 0, "skip": 1})
    );
}

#[tokio::test]
async fn refused_credentials_and_permissions_are_final() {
    for (code, reason) in [(401, "Unauthorized"), (403, "Forbidden")] {
        let api = RecordingSink::start().await;
        let kubeconfig = KubeconfigFile::new(&api);
        api.fallback(status(
            code,
            reason,
            "policyreports.wgpolicyk8s.io is forbidden",
        ));
        let env = launch(KIND, settings(&kubeconfig, json!({})), fast_retries(5)).await;
        env.dispatcher.dispatch(shell(9)).await;
        env.dispatcher.shutdown(WAIT).await;
        assert_eq!(api.requests().len(), 1, "{code}: not retried");
        let letters = env.dead_letters();
        assert_eq!(letters.len(), 1, "{letters:?}");
        assert!(
            letters[0].meta.error.contains(reason),
            "{}",
            letters[0].meta.error
        );
    }
}

#[tokio::test]
async fn server_errors_are_retried() {
    let api = RecordingSink::start().await;
    let kubeconfig = KubeconfigFile::new(&api);
    api.script([
        status(503, "ServiceUnavailable", "etcdserver: leader changed"),
        not_found("falco-policy-report"),
        status(500, "InternalError", "Internal error occurred"),
        not_found("falco-policy-report"),
        object(201, &created(Some("default"))),
    ]);
    let env = launch(KIND, settings(&kubeconfig, json!({})), fast_retries(5)).await;
    env.dispatcher.dispatch(shell(10)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());
    let calls: Vec<String> = api.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(calls, ["GET", "GET", "POST", "GET", "POST"]);
}

#[tokio::test]
async fn a_missing_crd_is_final_with_a_hint() {
    let api = RecordingSink::start().await;
    let kubeconfig = KubeconfigFile::new(&api);
    api.fallback(falconer_testkit::Reply::status(404).body("404 page not found"));
    let env = launch(KIND, settings(&kubeconfig, json!({})), fast_retries(5)).await;
    env.dispatcher.dispatch(shell(11)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(api.requests().len(), 1);
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(
        letters[0].meta.error.contains("CRD"),
        "{}",
        letters[0].meta.error
    );
}

#[tokio::test]
async fn a_batch_updates_each_report_once_and_skips_other_sources() {
    let api = RecordingSink::start().await;
    let kubeconfig = KubeconfigFile::new(&api);
    api.script([
        not_found("falco-policy-report"),
        object(201, &created(Some("default"))),
        not_found("falco-policy-report"),
        object(201, &created(Some("payments"))),
    ]);
    let alerts = [
        syscall("Warning", "a", 12),
        enriched(CLOUDTRAIL_ALERT, 13),
        enriched(SECRET_ALERT, 14),
        syscall("Debug", "b", 15),
    ];
    let env = launch(KIND, settings(&kubeconfig, json!({})), quick(10)).await;
    for alert in &alerts {
        env.dispatcher.dispatch(alert.clone()).await;
    }
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());
    let got = api.requests();
    assert_eq!(got.len(), 4, "{got:#?}");
    assert_call(&got[1], "POST", NS_REPORT);
    assert_call(
        &got[3],
        "POST",
        &format!("{API}/namespaces/payments/policyreports"),
    );
    let policies: Vec<Value> = got[1].json()["results"]
        .as_array()
        .map(|r| r.iter().map(|x| x["policy"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(policies, [json!("a"), json!("b")]);
}

#[tokio::test]
async fn a_failing_report_fails_only_its_own_alerts() {
    let api = RecordingSink::start().await;
    let kubeconfig = KubeconfigFile::new(&api);
    api.script([
        not_found("falco-policy-report"),
        object(201, &created(Some("default"))),
        status(
            403,
            "Forbidden",
            "cannot get policyreports in the namespace payments",
        ),
    ]);
    let env = launch(KIND, settings(&kubeconfig, json!({})), quick(10)).await;
    env.dispatcher.dispatch(syscall("Warning", "a", 16)).await;
    env.dispatcher.dispatch(enriched(SECRET_ALERT, 17)).await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(
        letters[0].alert.get().contains("db-password"),
        "{}",
        letters[0].alert.get()
    );
}

#[test]
fn env_variables_configure_the_block() {
    let settings = from_env(
        KIND,
        &[
            ("POLICYREPORT_ENABLED", "true"),
            ("POLICYREPORT_KUBECONFIG", "/etc/kube/config"),
            ("POLICYREPORT_MAXEVENTS", "50"),
            ("POLICYREPORT_PRUNEBYPRIORITY", "true"),
            ("POLICYREPORT_FALCONAMESPACE", "falco"),
        ],
    );
    let c: falconer_outputs_kubernetes::policyreport::PolicyReportConfig =
        falconer_config::from_value(settings).expect("reads");
    assert_eq!(
        (
            c.kubeconfig.as_str(),
            c.maxevents,
            c.prunebypriority,
            c.falconamespace.as_str()
        ),
        ("/etc/kube/config", 50, true, "falco")
    );
}

#[test]
fn a_bad_maxevents_or_namespace_is_refused() {
    assert_rejected(
        KIND,
        "policyreport",
        json!({"enabled": true, "maxevents": 0, "falconamespace": "Not_A_Namespace"}),
        &["maxevents", "falconamespace"],
    );
}

#[tokio::test]
async fn a_missing_kubeconfig_outside_a_cluster_fails_the_start_naming_the_file() {
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        return; // in a pod the in-cluster account is used instead
    }
    let entry = falconer_config::OutputEntry {
        name: "policyreport".into(),
        kind: "policyreport".into(),
        path: "policyreport".into(),
        common: falconer_config::CommonSettings::default(),
        settings: json!({"enabled": true, "kubeconfig": "/nonexistent/falconer/kubeconfig"}),
    };
    let cx = falconer_core::BuildContext {
        name: "policyreport".into(),
        path: "policyreport".into(),
        global: Arc::new(falconer_config::GlobalSettings::default()),
        resources: falconer_core::Resources::default(),
    };
    let prepared = KIND.prepare(&entry).expect("valid");
    match prepared.build(cx).await {
        Ok(_) => panic!("built without a kubeconfig"),
        Err(e) => assert!(
            e.to_string().contains("/nonexistent/falconer/kubeconfig"),
            "{e}"
        ),
    }
}
