//! Route selection tables, filters, silences, noise windows and explanations.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use falconer_config::{load, Config, KindSchema, Sources};
use falconer_event::Alert;
use falconer_testkit::{CONFIGMAP_ALERT, SHELL_ALERT};

use crate::{Decision, Policy, Silences};

const KINDS: &[KindSchema] = &[
    KindSchema {
        name: "webhook",
        block: "webhook",
        enabled_by: &["address"],
        fields: &["address"],
    },
    KindSchema {
        name: "webui",
        block: "webui",
        enabled_by: &[],
        fields: &[],
    },
    KindSchema {
        name: "slack",
        block: "slack",
        enabled_by: &["webhookurl"],
        fields: &["webhookurl"],
    },
];

fn config(yaml: &str) -> Config {
    let sources = Sources {
        yaml: Some(yaml.to_owned()),
        env: Default::default(),
    };
    load(&sources, KINDS).expect("valid config")
}

fn policy(yaml: &str) -> Policy {
    Policy::compile(&config(yaml), Utc::now()).expect("valid policy")
}

fn alert(json: &str) -> Arc<Alert> {
    let mut a = Alert::decode(json.as_bytes()).expect("alert");
    a.uuid = "00000000-0000-4000-8000-000000000000".into();
    Arc::new(a)
}

/// `alert` with changes (`rule`, `priority`, `hostname`, `source` and output fields).
fn variant(json: &str, changes: &[(&str, &str)]) -> Arc<Alert> {
    let mut v: serde_json::Value = serde_json::from_str(json).expect("json");
    for (k, val) in changes {
        if ["rule", "priority", "hostname", "source", "output"].contains(k) {
            v[*k] = serde_json::Value::from(*val);
        } else {
            v["output_fields"][*k] = serde_json::Value::from(*val);
        }
    }
    alert(&v.to_string())
}

/// The outputs each decision kind reaches, by name.
fn decide(p: &Policy, a: &Arc<Alert>, silences: &Silences, now: Instant) -> Vec<(String, String)> {
    let mut out = Vec::new();
    p.decide(a, silences, now, Utc::now(), |i, d| {
        let what = match d {
            Decision::Send => "send".to_owned(),
            Decision::Skip => "skip".to_owned(),
            Decision::Silenced(s) => format!("silenced:{}", s.id),
            Decision::Suppressed(label) => format!("suppressed:{label}"),
        };
        out.push((p.outputs()[i].name.clone(), what));
    });
    out
}

fn sent(p: &Policy, a: &Arc<Alert>) -> Vec<String> {
    decide(p, a, &Silences::default(), Instant::now())
        .into_iter()
        .filter(|(_, d)| d == "send")
        .map(|(n, _)| n)
        .collect()
}

const TREE: &str = r#"
outputs:
  - {name: slack-payments, type: webhook, address: "http://127.0.0.1:1/a"}
  - {name: pagerduty, type: webhook, address: "http://127.0.0.1:1/b"}
  - {name: slack-secops, type: webhook, address: "http://127.0.0.1:1/c"}
  - {name: archive, type: webhook, address: "http://127.0.0.1:1/d"}
routes:
  - match: 'source = k8s_audit and k8s.ns.name = payments'
    outputs: [slack-payments]
    continue: true
  - match: 'priority >= critical'
    outputs: [pagerduty]
defaultroute: [slack-secops]
"#;

#[test]
fn the_routing_tree_selects_outputs() {
    let p = policy(TREE);
    // (alert, outputs that get it); `archive` is named nowhere: it gets everything.
    let cases: Vec<(Arc<Alert>, Vec<&str>)> = vec![
        (
            variant(CONFIGMAP_ALERT, &[("k8s.ns.name", "payments")]),
            vec!["slack-payments", "archive"],
        ),
        (
            variant(
                CONFIGMAP_ALERT,
                &[("k8s.ns.name", "payments"), ("priority", "Critical")],
            ),
            vec!["slack-payments", "pagerduty", "archive"],
        ),
        (
            variant(SHELL_ALERT, &[("priority", "Emergency")]),
            vec!["pagerduty", "archive"],
        ),
        (alert(SHELL_ALERT), vec!["slack-secops", "archive"]),
        (
            variant(CONFIGMAP_ALERT, &[("k8s.ns.name", "billing")]),
            vec!["slack-secops", "archive"],
        ),
    ];
    for (a, expected) in cases {
        assert_eq!(sent(&p, &a), expected, "{}", a.output);
    }
}

#[test]
fn without_continue_the_first_matching_route_stops_the_walk() {
    let p = policy(
        r#"
outputs:
  - {name: a, type: webhook, address: "http://127.0.0.1:1/a"}
  - {name: b, type: webhook, address: "http://127.0.0.1:1/b"}
routes:
  - {match: 'tags contains container', outputs: [a]}
  - {match: 'priority >= notice', outputs: [b]}
"#,
    );
    assert_eq!(sent(&p, &alert(SHELL_ALERT)), vec!["a"]);
    assert_eq!(sent(&p, &alert(CONFIGMAP_ALERT)), vec!["b"]);
}

#[test]
fn an_output_match_and_minimumpriority_filter_after_routing() {
    let p = policy(
        r#"
outputs:
  - name: ns
    type: webhook
    address: "http://127.0.0.1:1/a"
    match: 'k8s.ns.name in (default, kube-system) and not proc.cmdline startswith curl'
  - name: warn
    type: webhook
    address: "http://127.0.0.1:1/b"
    minimumpriority: warning
  - name: regex
    type: webhook
    address: "http://127.0.0.1:1/c"
    match: 'rule regex "Terminal.*" and container.id exists'
"#,
    );
    assert_eq!(sent(&p, &alert(SHELL_ALERT)), vec!["ns", "regex"]);
    // No `k8s.ns.name` field: the `in` test is false.
    assert_eq!(sent(&p, &alert(CONFIGMAP_ALERT)), vec!["warn"]);
    assert_eq!(
        sent(&p, &variant(SHELL_ALERT, &[("proc.cmdline", "curl evil")])),
        vec!["regex"]
    );
}

#[test]
fn output_fields_with_an_argument_are_read_however_long_the_key() {
    let long = format!("custom.{}", "x".repeat(200));
    let p = policy(&format!(
        r#"
outputs:
  - name: aname
    type: webhook
    address: "http://127.0.0.1:1/a"
    match: 'proc.aname[2] = bash and not proc.aname[3] exists'
  - name: long
    type: webhook
    address: "http://127.0.0.1:1/b"
    match: '{long}[key] = yes'
"#
    ));
    assert!(sent(&p, &alert(SHELL_ALERT)).is_empty());
    let long_key = format!("{long}[key]");
    let a = variant(
        SHELL_ALERT,
        &[("proc.aname[2]", "bash"), (long_key.as_str(), "yes")],
    );
    assert_eq!(sent(&p, &a), vec!["aname", "long"]);
    let a = variant(
        SHELL_ALERT,
        &[("proc.aname[2]", "bash"), ("proc.aname[3]", "sshd")],
    );
    assert!(sent(&p, &a).is_empty());
}

#[test]
fn a_config_without_routes_behaves_as_falcosidekick() {
    let p = policy(
        "outputs:\n  - {name: a, type: webhook, address: 'http://127.0.0.1:1/a', minimumpriority: error}\n  - {name: b, type: webhook, address: 'http://127.0.0.1:1/b'}\n",
    );
    assert_eq!(sent(&p, &alert(SHELL_ALERT)), vec!["b"]);
    assert_eq!(
        sent(&p, &variant(SHELL_ALERT, &[("priority", "Critical")])),
        vec!["a", "b"]
    );
}

#[test]
fn every_problem_is_reported_with_its_path_and_column() {
    let c = config(
        r#"
outputs:
  - {name: a, type: webhook, address: "http://127.0.0.1:1/a", match: 'source = '}
  - name: b
    type: webhook
    address: "http://127.0.0.1:1/b"
    throttle: {max: 0, window: 10m}
routes:
  - {match: 'priority >= warnin', outputs: [a, nope]}
defaultroute: [ghost]
silences:
  - {match: 'rule = x', endsat: 'tomorrow'}
"#,
    );
    let errors = Policy::compile(&c, Utc::now())
        .expect_err("invalid")
        .to_string();
    for expected in [
        "outputs[0] (a).match: column 10: expected a value, found end of input",
        "outputs[1] (b).throttle.max: must be at least 1",
        "routes[0].match: column 13: expected a priority",
        "routes[0].outputs[1]: unknown output \"nope\"",
        "defaultroute[0]: unknown output \"ghost\"",
        "silences[0].endsat: \"tomorrow\" is not an RFC 3339 time",
    ] {
        assert!(
            errors.contains(expected),
            "{expected:?} missing from:\n{errors}"
        );
    }
}

#[test]
fn silences_hold_alerts_back_except_for_the_event_store() {
    let p = policy(
        r#"
outputs:
  - {name: hook, type: webhook, address: "http://127.0.0.1:1/a"}
  - {name: store, type: webui}
silences:
  - match: 'rule = "Terminal shell in container" and hostname = node-1'
    startsat: '2026-01-01T00:00:00Z'
    endsat: '2099-01-01T00:00:00Z'
    createdby: ops
    comment: known debugging job
"#,
    );
    let silences = Silences::new(p.config_silences().to_vec());
    let d = decide(&p, &alert(SHELL_ALERT), &silences, Instant::now());
    assert_eq!(
        d,
        vec![
            ("hook".into(), "silenced:config-0".into()),
            ("store".into(), "silenced:config-0".into())
        ]
    );
    assert!(!p.outputs()[0].keeps_silenced());
    assert!(p.outputs()[1].keeps_silenced());
    // Another host, or once expired: sent.
    let other = variant(SHELL_ALERT, &[("hostname", "node-2")]);
    assert_eq!(sent(&p, &other).len(), 2);
    let later = Utc
        .with_ymd_and_hms(2100, 1, 1, 0, 0, 0)
        .single()
        .expect("time");
    let mut after = Vec::new();
    p.decide(
        &alert(SHELL_ALERT),
        &silences,
        Instant::now(),
        later,
        |_, d| after.push(d == Decision::Send),
    );
    assert_eq!(after, vec![true, true]);
}

const NOISY: &str = r#"
outputs:
  - name: throttled
    type: webhook
    address: "http://127.0.0.1:1/a"
    throttle: {max: 2, window: 10m}
  - name: deduped
    type: webhook
    address: "http://127.0.0.1:1/b"
    dedup: {window: 5m}
  - name: grouped
    type: slack
    webhookurl: "http://127.0.0.1:1/c"
    group: {wait: 30s, maxalerts: 2}
"#;

#[test]
fn throttle_dedup_and_group_count_and_summarise_when_the_window_closes() {
    let p = policy(NOISY);
    let start = Instant::now();
    let a = alert(SHELL_ALERT);
    let mut seen = Vec::new();
    for i in 0..5 {
        seen.push(decide(
            &p,
            &a,
            &Silences::default(),
            start + Duration::from_secs(i),
        ));
    }
    let column = |o: usize| -> Vec<String> { seen.iter().map(|d| d[o].1.clone()).collect() };
    assert_eq!(
        column(0),
        vec![
            "send",
            "send",
            "suppressed:throttle",
            "suppressed:throttle",
            "suppressed:throttle"
        ]
    );
    assert_eq!(
        column(1),
        vec![
            "send",
            "suppressed:dedup",
            "suppressed:dedup",
            "suppressed:dedup",
            "suppressed:dedup"
        ]
    );
    assert_eq!(column(2), vec!["suppressed:group"; 5]);

    // 30 s later the group is due; the throttle and dedup windows are still open.
    let mut due = Vec::new();
    p.expire(start + Duration::from_secs(31), |o, a| due.push((o, a)));
    assert_eq!(due.len(), 1);
    let (o, group) = &due[0];
    assert_eq!(*o, 2);
    assert_eq!(group.output_fields["falconer.grouped"], 5);
    assert!(
        group
            .output
            .starts_with("5 alerts grouped by \"Terminal shell in container\""),
        "{}",
        group.output
    );
    assert!(group.output.ends_with("… and 3 more"), "{}", group.output);

    // At 10 minutes both others close, each with one summary carrying its count.
    let mut due = Vec::new();
    p.expire(start + Duration::from_secs(601), |o, a| due.push((o, a)));
    due.sort_by_key(|(o, _)| *o);
    assert_eq!(due.len(), 2);
    assert_eq!(due[0].0, 0);
    assert_eq!(due[0].1.output_fields["falconer.suppressed"], 3);
    assert_eq!(due[0].1.output_fields["falconer.reason"], "throttle");
    assert!(due[0].1.tags.contains(&"falconer_summary".to_owned()));
    assert_eq!(due[1].0, 1);
    assert_eq!(due[1].1.output_fields["falconer.suppressed"], 4);
    // A new window starts fresh.
    let d = decide(
        &p,
        &a,
        &Silences::default(),
        start + Duration::from_secs(602),
    );
    assert_eq!(d[0].1, "send");
    assert_eq!(d[1].1, "send");
}

#[test]
fn a_window_that_held_nothing_sends_no_summary_and_a_group_of_one_is_the_alert() {
    let p = policy(NOISY);
    let start = Instant::now();
    let a = alert(CONFIGMAP_ALERT);
    let _ = decide(&p, &a, &Silences::default(), start);
    let mut due = Vec::new();
    p.expire(start + Duration::from_secs(700), |o, a| due.push((o, a)));
    assert_eq!(due.len(), 1, "only the group's single alert");
    assert_eq!(due[0].0, 2);
    assert_eq!(due[0].1.output, a.output);
    assert!(p.next_due().is_none());
}

#[test]
fn throttle_keys_are_templates() {
    let p = policy(
        r#"
outputs:
  - name: t
    type: webhook
    address: "http://127.0.0.1:1/a"
    throttle: {max: 1, window: 10m, key: '{{.Rule}}'}
"#,
    );
    let now = Instant::now();
    let one = decide(&p, &alert(SHELL_ALERT), &Silences::default(), now);
    let other_host = variant(SHELL_ALERT, &[("hostname", "node-9")]);
    let two = decide(&p, &other_host, &Silences::default(), now);
    assert_eq!(one[0].1, "send");
    assert_eq!(
        two[0].1, "suppressed:throttle",
        "same rule, another host: one key"
    );
}

#[test]
fn a_route_throttle_applies_once_to_all_its_outputs() {
    let p = policy(
        r#"
outputs:
  - {name: a, type: webhook, address: "http://127.0.0.1:1/a"}
  - {name: b, type: webhook, address: "http://127.0.0.1:1/b"}
routes:
  - match: 'rule = "Terminal shell in container"'
    outputs: [a, b]
    throttle: {max: 1, window: 10m}
"#,
    );
    let now = Instant::now();
    let first = decide(&p, &alert(SHELL_ALERT), &Silences::default(), now);
    let second = decide(&p, &alert(SHELL_ALERT), &Silences::default(), now);
    assert_eq!(
        first,
        vec![("a".into(), "send".into()), ("b".into(), "send".into())]
    );
    assert_eq!(
        second,
        vec![
            ("a".into(), "suppressed:throttle".into()),
            ("b".into(), "suppressed:throttle".into())
        ]
    );
    let mut due = Vec::new();
    p.expire(now + Duration::from_secs(601), |o, a| due.push((o, a)));
    assert_eq!(due.iter().map(|(o, _)| *o).collect::<Vec<_>>(), vec![0, 1]);
}

#[test]
fn the_test_alert_goes_everywhere() {
    let p = policy(TREE);
    let t = Arc::new(falconer_event::test_alert(falconer_event::now()));
    assert_eq!(sent(&p, &t).len(), 4);
}

#[test]
fn explain_says_why_for_every_output() {
    let p = policy(
        r#"
outputs:
  - {name: slack-payments, type: webhook, address: "http://127.0.0.1:1/a"}
  - {name: pagerduty, type: webhook, address: "http://127.0.0.1:1/b", minimumpriority: critical}
  - {name: shells, type: webhook, address: "http://127.0.0.1:1/c", match: 'rule = "Terminal shell in container" and hostname startswith prod-', throttle: {max: 1, window: 10m}}
routes:
  - {match: 'k8s.ns.name = payments', outputs: [slack-payments]}
"#,
    );
    let e = p.explain(&alert(SHELL_ALERT), &Silences::default(), Utc::now());
    let lines: Vec<String> = e
        .iter()
        .map(|x| format!("{}: {}", x.output, x.reason))
        .collect();
    assert_eq!(
        lines,
        vec![
            "slack-payments: not sent: no route matched and it is not in defaultroute".to_owned(),
            "pagerduty: not sent: priority notice is below its minimumpriority critical".to_owned(),
            "shells: not sent: its match failed at `hostname startswith prod-`".to_owned(),
        ]
    );
    let prod = variant(
        SHELL_ALERT,
        &[
            ("hostname", "prod-1"),
            ("k8s.ns.name", "payments"),
            ("priority", "Critical"),
        ],
    );
    let e = p.explain(&prod, &Silences::default(), Utc::now());
    assert_eq!(e[0].reason, "sent (via routes[0])");
    assert_eq!(e[1].reason, "sent");
    assert_eq!(e[2].reason, "sent; subject to throttle (1 per 10m)");
}

#[test]
fn a_group_on_a_store_releases_its_alerts_themselves_and_never_holds_more_than_maxalerts() {
    let p = policy(
        r#"
outputs:
  - name: archive
    type: webhook
    address: "http://127.0.0.1:1/a"
    group: {wait: 30s, maxalerts: 2}
"#,
    );
    let start = Instant::now();
    let alerts: Vec<Arc<Alert>> = (0..3)
        .map(|i| variant(SHELL_ALERT, &[("proc.cmdline", &format!("bash -{i}"))]))
        .collect();
    let seen: Vec<String> = alerts
        .iter()
        .map(|a| decide(&p, a, &Silences::default(), start).remove(0).1)
        .collect();
    assert_eq!(
        seen,
        ["suppressed:group", "suppressed:group", "send"],
        "the third does not fit the batch and goes at once"
    );
    let mut due = Vec::new();
    p.expire(start + Duration::from_secs(31), |o, a| due.push((o, a)));
    assert_eq!(
        due.len(),
        2,
        "the two held alerts themselves, not a summary"
    );
    assert!(Arc::ptr_eq(&due[0].1, &alerts[0]));
    assert!(Arc::ptr_eq(&due[1].1, &alerts[1]));
}
