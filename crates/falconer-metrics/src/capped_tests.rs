use crate::{Metrics, SeriesLimits};
use falconer_event::Alert;

const EVENTS: &str = "falcosecurity_falcosidekick_falco_events_total";
const ALERTS: &str = "falconer_alerts_total";
const FOLDED: &str = "falconer_metrics_series_folded_total";

fn alert(rule: &str, hostname: &str, priority: &str, source: &str) -> Alert {
    let json = alert_json(rule, hostname, priority, source);
    Alert::decode(json.as_bytes()).unwrap()
}

/// The alert's JSON (the names used here need no escaping).
fn alert_json(rule: &str, hostname: &str, priority: &str, source: &str) -> String {
    format!(
        r#"{{"output":"x","priority":"{priority}","rule":"{rule}","time":"2024-05-14T09:21:07.418790000Z",
            "source":"{source}","hostname":"{hostname}",
            "output_fields":{{"k8s.ns.name":"ns-{rule}","k8s.pod.name":"pod-{hostname}","team":"t-{rule}"}}}}"#
    )
}

fn metrics(max_series: usize, k8s_labels: bool) -> Metrics {
    let limits = SeriesLimits {
        max_series,
        k8s_labels,
    };
    Metrics::with_limits(&["team".into()], &limits).unwrap().0
}

/// The samples of `family`: (labels, value), checking each line's shape on the way.
fn samples(m: &Metrics, family: &str) -> Vec<(String, u64)> {
    let text = String::from_utf8(m.render()).unwrap();
    check_text_format(&text);
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(family)?.strip_prefix('{')?;
            let (labels, value) = rest.rsplit_once("} ")?;
            Some((labels.to_owned(), value.parse().unwrap()))
        })
        .collect()
}

/// Every line is a comment or `name{label="value",...} number`; each family has one HELP and
/// one TYPE line, before its samples.
fn check_text_format(text: &str) {
    let mut typed = std::collections::HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().unwrap();
            assert!(typed.insert(name.to_owned()), "second TYPE for {name}");
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().is_ok(), "bad value: {line}");
        let name = series.split('{').next().unwrap();
        assert!(
            typed.iter().any(|t| name.starts_with(t.as_str())),
            "sample before its TYPE: {line}"
        );
        if let Some(labels) = series.strip_prefix(name) {
            if !labels.is_empty() {
                assert!(labels.starts_with('{') && labels.ends_with('}'), "{line}");
            }
        }
    }
}

fn total(samples: &[(String, u64)]) -> u64 {
    samples.iter().map(|(_, v)| v).sum()
}

fn folded(m: &Metrics, family: &str) -> u64 {
    samples(m, FOLDED)
        .iter()
        .find(|(labels, _)| labels == &format!("family=\"{family}\""))
        .map_or(0, |(_, v)| *v)
}

#[test]
fn the_cap_holds_and_the_counts_add_up() {
    let m = metrics(10, true);
    for i in 0..25 {
        m.alert_accepted(&alert(
            &format!("rule {i}"),
            &format!("host-{i}"),
            "Warning",
            "syscall",
        ));
    }
    // Series that exist keep counting exactly after the cap is reached.
    for _ in 0..5 {
        m.alert_accepted(&alert("rule 3", "host-3", "Warning", "syscall"));
    }
    for family in [ALERTS, EVENTS] {
        let s = samples(&m, family);
        assert_eq!(s.len(), 11, "{family}: 10 exact series + other: {s:?}");
        assert_eq!(total(&s), 30, "{family}: every alert is counted once");
        assert_eq!(folded(&m, family), 15, "{family}");
        let other: Vec<_> = s
            .iter()
            .filter(|(l, _)| l.contains(r#"rule="other""#))
            .collect();
        assert_eq!(other.len(), 1, "{other:?}");
        assert_eq!(other[0].1, 15);
    }
    let events = samples(&m, EVENTS);
    assert!(events.iter().any(|(l, v)| *v == 6
        && l.contains(r#"rule="rule 3""#)
        && l.contains(r#"hostname="host-3""#)));
    assert!(
        events.iter().any(|(l, _)| l
            == r#"hostname="other",k8s_ns_name="other",k8s_pod_name="other",priority="4",priority_raw="warning",rule="other",source="syscall",team="other""#),
        "{events:?}"
    );
    assert!(samples(&m, ALERTS)
        .iter()
        .any(|(l, _)| l == r#"priority="warning",rule="other",source="syscall""#));
}

#[test]
fn other_series_keep_priority_and_source() {
    let m = metrics(1, true);
    m.alert_accepted(&alert("first", "h", "Critical", "syscall"));
    for (i, (priority, source)) in [
        ("Critical", "syscall"),
        ("Warning", "syscall"),
        ("Critical", "k8s_audit"),
        ("Critical", "syscall"),
    ]
    .iter()
    .enumerate()
    {
        m.alert_accepted(&alert(&format!("r{i}"), "h", priority, source));
    }
    let s = samples(&m, ALERTS);
    let count = |labels: &str| s.iter().find(|(l, _)| l == labels).map(|(_, v)| *v);
    assert_eq!(
        count(r#"priority="critical",rule="first",source="syscall""#),
        Some(1)
    );
    assert_eq!(
        count(r#"priority="critical",rule="other",source="syscall""#),
        Some(2)
    );
    assert_eq!(
        count(r#"priority="warning",rule="other",source="syscall""#),
        Some(1)
    );
    assert_eq!(
        count(r#"priority="critical",rule="other",source="k8s_audit""#),
        Some(1)
    );
    assert_eq!(s.len(), 4, "{s:?}");
    assert_eq!(folded(&m, ALERTS), 4);
}

#[test]
fn invented_sources_are_folded_once_the_other_series_are_taken() {
    let m = metrics(1, false);
    let n = crate::capped::MAX_OTHER_SERIES + 100;
    for i in 0..=n {
        m.alert_accepted(&alert(&format!("r{i}"), "h", "Error", &format!("src{i}")));
    }
    for family in [ALERTS, EVENTS] {
        let s = samples(&m, family);
        // 1 exact, MAX_OTHER_SERIES `other` ones, then one with source="other" too.
        assert_eq!(s.len(), 1 + crate::capped::MAX_OTHER_SERIES + 1, "{family}");
        assert_eq!(total(&s), n as u64 + 1, "{family}");
        assert_eq!(folded(&m, family), n as u64, "{family}");
        let all_other: Vec<_> = s
            .iter()
            .filter(|(l, _)| l.contains(r#"source="other""#))
            .collect();
        assert_eq!(all_other.len(), 1, "{all_other:?}");
        assert_eq!(all_other[0].1, 100);
    }
}

#[test]
fn k8s_labels_can_be_left_out() {
    let with = metrics(10, true);
    let without = metrics(10, false);
    for m in [&with, &without] {
        m.alert_accepted(&alert("r", "h", "Notice", "syscall"));
    }
    assert_eq!(
        samples(&with, EVENTS)[0].0,
        r#"hostname="h",k8s_ns_name="ns-r",k8s_pod_name="pod-h",priority="3",priority_raw="notice",rule="r",source="syscall",team="t-r""#
    );
    assert_eq!(
        samples(&without, EVENTS)[0].0,
        r#"hostname="h",priority="3",priority_raw="notice",rule="r",source="syscall",team="t-r""#
    );
}

#[test]
fn no_folding_below_the_cap() {
    let m = Metrics::new(&[]).unwrap().0;
    for i in 0..100 {
        m.alert_accepted(&alert(
            &format!("r{i}"),
            &format!("h{i}"),
            "Debug",
            "syscall",
        ));
    }
    assert_eq!(samples(&m, ALERTS).len(), 100);
    assert_eq!(samples(&m, EVENTS).len(), 100);
    assert_eq!(folded(&m, ALERTS), 0);
    // The folded family is there (at 0) before anything is folded, so dashboards see it.
    assert_eq!(samples(&m, FOLDED).len(), 2);
}
