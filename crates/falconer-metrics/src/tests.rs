use super::*;
use falconer_event::{Alert, EnrichSettings, Enricher};

fn alert() -> Alert {
    let mut a = Alert::decode(
        br#"{"output":"x","priority":"Warning","rule":"Create/Modify Configmap With Private Credentials",
            "time":"2024-05-14T09:21:07.418790000Z","source":"k8s_audit","hostname":"minikube",
            "output_fields":{"ka.user.name":"minikube-user","k8s.ns.name":"default"}}"#,
    )
    .unwrap();
    Enricher::new(&EnrichSettings {
        custom_fields: vec![("environment".into(), "prod".into())],
        ..Default::default()
    })
    .unwrap()
    .enrich(&mut a, uuid_nil());
    a
}

fn uuid_nil() -> uuid::Uuid {
    uuid::Uuid::nil()
}

fn text(m: &Metrics) -> String {
    String::from_utf8(m.render()).unwrap()
}

#[test]
fn counts_alerts_in_falcosidekick_families() {
    let (m, skipped) = Metrics::new(&[
        "environment".into(),
        "ka.user.name".into(),
        "bad-label".into(),
    ])
    .unwrap();
    assert_eq!(skipped, vec!["bad-label"]);
    m.alert_accepted(&alert());
    m.request_rejected(RejectReason::Invalid("invalid_json"));
    let t = text(&m);
    assert!(
        t.contains(
            r#"falcosecurity_falcosidekick_inputs_total{source="requests",status="accepted"} 1"#
        ),
        "{t}"
    );
    assert!(t.contains(
        r#"falcosecurity_falcosidekick_inputs_total{source="requests",status="rejected"} 1"#
    ));
    assert!(t.contains(
        r#"falcosecurity_falcosidekick_falco_events_total{environment="prod",hostname="minikube",k8s_ns_name="default",k8s_pod_name="",ka_user_name="minikube-user",priority="4",priority_raw="warning",rule="Create/Modify Configmap With Private Credentials",source="k8s_audit"} 1"#
    ), "{t}");
    assert!(t.contains(r#"falconer_alerts_rejected_total{reason="invalid_json"} 1"#));
    assert!(t.contains(r#"falconer_alerts_total{priority="warning",rule="Create/Modify Configmap With Private Credentials",source="k8s_audit"} 1"#));
}

#[test]
fn output_handles_feed_both_families() {
    let (m, _) = Metrics::new(&[]).unwrap();
    let o = m.output("secops", "webhook", "webhook");
    o.delivered(3);
    o.attempt_failed(1, "http_5xx");
    o.dropped(1, DropReason::RetriesExhausted);
    o.dropped(2, DropReason::QueueFull);
    let t = text(&m);
    assert!(t.contains(
        r#"falcosecurity_falcosidekick_outputs_total{destination="webhook",status="ok"} 3"#
    ));
    assert!(t.contains(
        r#"falcosecurity_falcosidekick_outputs_total{destination="webhook",status="error"} 1"#
    ));
    assert!(t.contains(
        r#"falconer_output_deliveries_total{kind="webhook",output="secops",status="ok"} 3"#
    ));
    assert!(t.contains(
        r#"falconer_output_deliveries_total{kind="webhook",output="secops",status="error"} 1"#
    ));
    assert!(t.contains(
        r#"falconer_output_errors_total{error="http_5xx",kind="webhook",output="secops"} 1"#
    ));
    assert!(t.contains(
        r#"falconer_output_dropped_total{kind="webhook",output="secops",reason="queue_full"} 2"#
    ));
}

#[test]
fn label_names_follow_falcosidekick_rules() {
    assert_eq!(
        sanitize_label_name("k8s.ns.labels.team").as_deref(),
        Some("k8s_ns_labels_team")
    );
    assert_eq!(sanitize_label_name("proc.aname[2]"), None);
    assert_eq!(sanitize_label_name("1abc"), None);
    assert_eq!(sanitize_label_name("a:b"), None);
}
