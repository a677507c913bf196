use super::*;
use crate::Priority;

fn alert(body: &str) -> Alert {
    Alert::decode(body.as_bytes()).expect("valid alert")
}

fn base() -> Alert {
    alert(
        r#"{"output":"16:31:56.746609046: Error File below /etc opened for writing (user=root command=touch /etc/x)",
            "priority":"Error","rule":"Write below etc","time":"2024-05-14T09:21:07.418790000Z",
            "tags":["filesystem","mitre_persistence"],
            "output_fields":{"proc.name":"touch","user.name":"root","proc.aname[2]":"bash","k8s.ns.labels.team":"payments"}}"#,
    )
}

fn uuid() -> Uuid {
    Uuid::from_u128(0x8a3b0e3c_3d0e_4a8f_9c3e_0c1f2a3b4c5d)
}

fn enricher(settings: EnrichSettings) -> Enricher {
    Enricher::new(&settings).expect("settings parse")
}

#[test]
fn customfields_overwrite_and_are_added() {
    let e = enricher(EnrichSettings {
        custom_fields: vec![
            ("environment".into(), "prod".into()),
            ("user.name".into(), "x".into()),
        ],
        ..Default::default()
    });
    let mut a = base();
    e.enrich(&mut a, uuid());
    assert_eq!(a.field_str("environment"), Some("prod"));
    assert_eq!(a.field_str("user.name"), Some("x"));
}

#[test]
fn customfields_make_empty_output_fields_valid() {
    let e = enricher(EnrichSettings {
        custom_fields: vec![("region".into(), "eu-west-1".into())],
        ..Default::default()
    });
    let mut a = alert(r#"{"priority":"info","rule":"r","time":"2024-01-01T00:00:00Z"}"#);
    assert!(a.validate().is_err());
    e.enrich(&mut a, uuid());
    assert!(a.validate().is_ok());
}

#[test]
fn customtags_are_appended_then_sorted() {
    let e = enricher(EnrichSettings {
        custom_tags: vec!["zeta".into(), "alpha".into()],
        ..Default::default()
    });
    let mut a = base();
    e.enrich(&mut a, uuid());
    assert_eq!(
        a.tags,
        vec!["alpha", "filesystem", "mitre_persistence", "zeta"]
    );
}

#[test]
fn source_defaults_to_syscalls_and_test_rule_is_internal() {
    let e = enricher(EnrichSettings::default());
    let mut a = base();
    e.enrich(&mut a, uuid());
    assert_eq!(a.source, "syscalls");

    let mut k8s = base();
    k8s.source = "k8s_audit".into();
    e.enrich(&mut k8s, uuid());
    assert_eq!(k8s.source, "k8s_audit");

    let mut test = base();
    test.rule = crate::TEST_RULE.into();
    test.source = "k8s_audit".into();
    e.enrich(&mut test, uuid());
    assert_eq!(test.source, "internal");
}

#[test]
fn uuid_is_always_replaced() {
    let e = enricher(EnrichSettings::default());
    let mut a = base();
    a.uuid = "client-chosen".into();
    e.enrich(&mut a, uuid());
    assert_eq!(a.uuid, "8a3b0e3c-3d0e-4a8f-9c3e-0c1f2a3b4c5d");
}

#[test]
fn templatedfields_see_customfields_and_use_go_syntax() {
    let e = enricher(EnrichSettings {
        custom_fields: vec![("environment".into(), "prod".into())],
        templated_fields: vec![
            (
                "team".into(),
                r#"{{ or (index . "k8s.ns.labels.team") "none" }}"#.into(),
            ),
            (
                "owner".into(),
                r#"{{ or (index . "k8s.ns.labels.owner") "none" }}"#.into(),
            ),
            (
                "where".into(),
                r#"{{ index . "environment" }}-{{ index . "proc.name" }}"#.into(),
            ),
        ],
        ..Default::default()
    });
    let mut a = base();
    let errors = e.enrich(&mut a, uuid());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(a.field_str("team"), Some("payments"));
    assert_eq!(a.field_str("owner"), Some("none"));
    assert_eq!(a.field_str("where"), Some("prod-touch"));
}

#[test]
fn a_template_that_does_not_parse_is_a_setup_error() {
    let err = Enricher::new(&EnrichSettings {
        templated_fields: vec![("bad".into(), "{{ if }}".into())],
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(err.key, "bad");
}

#[test]
fn bracketreplacer_renames_keys() {
    let e = enricher(EnrichSettings {
        bracket_replacer: "_".into(),
        ..Default::default()
    });
    let mut a = base();
    e.enrich(&mut a, uuid());
    assert_eq!(a.field_str("proc.aname_2"), Some("bash"));
    assert!(!a.output_fields.contains_key("proc.aname[2]"));
}

#[test]
fn outputfieldformat_rewrites_falco_style_output() {
    let e = enricher(EnrichSettings {
        custom_fields: vec![("env".into(), "prod".into()), ("az".into(), "a".into())],
        custom_tags: vec!["custom".into()],
        output_field_format: "<timestamp>: <priority> <output> <custom_fields> (<tags>)".into(),
        ..Default::default()
    });
    let mut a = base();
    e.enrich(&mut a, uuid());
    assert_eq!(
        a.output,
        "16:31:56.746609046: Error File below /etc opened for writing (user=root command=touch /etc/x) az=a env=prod (custom,filesystem,mitre_persistence)"
    );

    // Trailing empty placeholders are trimmed.
    let e = enricher(EnrichSettings {
        output_field_format: "<priority> <output> <custom_fields> (<templated_fields>)".into(),
        ..Default::default()
    });
    let mut a = base();
    e.enrich(&mut a, uuid());
    assert_eq!(
        a.output,
        "Error File below /etc opened for writing (user=root command=touch /etc/x)"
    );

    // Output that does not start with Falco's time prefix is left alone.
    let mut plain = base();
    plain.output = "no prefix here".into();
    e.enrich(&mut plain, uuid());
    assert_eq!(plain.output, "no prefix here");
}

#[test]
fn long_fields_are_truncated_only_when_alert_is_large() {
    let e = enricher(EnrichSettings::default());
    let long = "x".repeat(600);
    let mut small = base();
    small
        .output_fields
        .insert("cmd".into(), Value::String(long.clone()));
    e.enrich(&mut small, uuid());
    assert_eq!(small.field_str("cmd").map(str::len), Some(600));

    let mut big = base();
    for i in 0..8 {
        big.output_fields
            .insert(format!("f{i}"), Value::String(long.clone()));
    }
    big.output = format!("cmd={long} end");
    e.enrich(&mut big, uuid());
    let expected = format!("{}[...]", &long[..507]);
    assert_eq!(big.field_str("f0"), Some(expected.as_str()));
    assert_eq!(big.output, format!("cmd={expected} end"));
    assert_eq!(big.field_str("proc.name"), Some("touch"));
    // The cached JSON reflects the truncation.
    let json = String::from_utf8(big.to_json().to_vec()).unwrap();
    assert!(!json.contains(&long));
}

#[test]
fn priority_survives_enrichment() {
    let e = enricher(EnrichSettings::default());
    let mut a = base();
    e.enrich(&mut a, uuid());
    assert_eq!(a.priority, Priority::Error);
}
