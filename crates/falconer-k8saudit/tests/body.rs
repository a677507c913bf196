//! The webhook body: the shapes the apiserver (and people with curl) send, and the limits.

use falconer_k8saudit::{parse_body, BodyError, BodyLimits, EventError, SkipReason};

fn event(id: &str) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"{id}","stage":"ResponseComplete","verb":"get","stageTimestamp":"2024-05-14T09:21:07.418790Z"}}"#
    )
}

fn ids(body: &str) -> Vec<String> {
    parse_body(body.as_bytes(), &BodyLimits::default())
        .unwrap_or_else(|e| panic!("{body}: {e}"))
        .events
        .iter()
        .map(|e| e.json()["auditID"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn event_lists_single_events_and_arrays_of_either() {
    let list = format!(
        r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{{}},"items":[{},{}]}}"#,
        event("a"),
        event("b")
    );
    assert_eq!(ids(&list), ["a", "b"]);
    assert_eq!(ids(&event("c")), ["c"]);
    assert_eq!(ids(&format!("[{},{}]", event("d"), list)), ["d", "a", "b"]);
    assert!(ids(r#"{"kind":"EventList","items":[]}"#).is_empty());
    assert!(ids("[]").is_empty());
    // apiVersion is not checked; an EventList without kind is recognised by its items.
    assert_eq!(ids(&format!(r#"{{"items":[{}]}}"#, event("e"))), ["e"]);
}

#[test]
fn malformed_bodies_are_refused_with_the_reason() {
    let limits = BodyLimits::default();
    for (body, expected) in [
        ("not json", "invalid JSON"),
        ("", "invalid JSON"),
        (r#"{"kind":"EventList","items":[1,"#, "invalid JSON"),
        ("42", "expected an audit EventList"),
        (
            r#"{"kind":"Pod"}"#,
            "kind \"Pod\" is not an audit EventList or Event",
        ),
        (r#"{"verb":"get"}"#, "an object without kind"),
        ("[[]]", "not arrays"),
        (r#"{"kind":"EventList","items":{}}"#, "invalid type"),
    ] {
        let err = parse_body(body.as_bytes(), &limits).expect_err(body);
        assert!(err.to_string().contains(expected), "{body}: {err}");
    }
}

#[test]
fn limits_refuse_large_bodies_and_skip_large_events() {
    let limits = BodyLimits {
        max_request_bytes: 4096,
        max_event_bytes: 300,
    };
    let big = format!(
        r#"{{"kind":"Event","auditID":"big","stageTimestamp":"2024-05-14T09:21:07Z","pad":"{}"}}"#,
        "x".repeat(400)
    );
    let body = format!(
        r#"{{"kind":"EventList","items":[{},{big},{},{{"kind":"Event","auditID":"no-time"}},7]}}"#,
        event("a"),
        event("b")
    );
    let parsed = parse_body(body.as_bytes(), &limits).expect("parsed");
    let kept: Vec<&str> = parsed
        .events
        .iter()
        .filter_map(|e| e.json()["auditID"].as_str())
        .collect();
    assert_eq!(kept, ["a", "b"]);
    let skipped: Vec<(usize, SkipReason)> = parsed
        .skipped
        .iter()
        .map(|s| (s.index, s.reason.clone()))
        .collect();
    assert_eq!(
        skipped,
        [
            (1, SkipReason::TooLarge(300)),
            (3, SkipReason::Invalid(EventError::NoStageTimestamp)),
            (4, SkipReason::Invalid(EventError::NotAnObject)),
        ]
    );
    let huge = format!(r#"{{"kind":"EventList","items":["{}"]}}"#, "x".repeat(5000));
    assert_eq!(
        parse_body(huge.as_bytes(), &limits).unwrap_err(),
        BodyError::TooLarge(4096)
    );
}
