use super::*;

const SAMPLE: &str = r#"{
  "hostname": "minikube",
  "output": "09:21:07.418790000: Warning K8s configmap with private credential (user=minikube-user verb=create resource=configmaps configmap=aws-creds)",
  "priority": "Warning",
  "rule": "Create/Modify Configmap With Private Credentials",
  "time": "2024-05-14T09:21:07.418790000Z",
  "source": "k8s_audit",
  "tags": ["k8s"],
  "output_fields": {
    "evt.time": 1715678467418790000,
    "ka.req.configmap.name": "aws-creds",
    "ka.target.resource": "configmaps",
    "ka.user.name": "minikube-user",
    "ka.verb": "create"
  }
}"#;

#[test]
fn decodes_the_k8saudit_configmap_alert() {
    let alert = Alert::decode(SAMPLE.as_bytes()).unwrap();
    assert_eq!(alert.priority, Priority::Warning);
    assert_eq!(
        alert.rule,
        "Create/Modify Configmap With Private Credentials"
    );
    assert_eq!(alert.source, "k8s_audit");
    assert_eq!(alert.tags, vec!["k8s"]);
    assert_eq!(alert.field_str("ka.user.name"), Some("minikube-user"));
    assert!(alert.validate().is_ok());
}

#[test]
fn preserves_numbers_nulls_and_nesting_exactly() {
    let body = r#"{"priority":"debug","rule":"r","time":"2024-01-01T00:00:00.000000001Z",
        "output_fields":{"n_drops":12345678901234567890,"x":1.50,"y":null,"z":[1,{"a":-0.0}],"big":1e400,"s":"a<b"}}"#;
    let alert = Alert::decode(body.as_bytes()).unwrap();
    let json = String::from_utf8(alert.to_json().to_vec()).unwrap();
    assert_eq!(
        json,
        r#"{"output":"","priority":"Debug","rule":"r","time":"2024-01-01T00:00:00.000000001Z","output_fields":{"big":1e+400,"n_drops":12345678901234567890,"s":"a\u003cb","x":1.50,"y":null,"z":[1,{"a":-0.0}]},"source":""}"#
    );
}

#[test]
fn serializes_in_falcosidekick_key_order() {
    let mut alert = Alert::decode(SAMPLE.as_bytes()).unwrap();
    alert.uuid = "8a3b0e3c-3d0e-4a8f-9c3e-0c1f2a3b4c5d".into();
    let json = String::from_utf8(alert.to_json().to_vec()).unwrap();
    assert_eq!(
        json,
        concat!(
            r#"{"uuid":"8a3b0e3c-3d0e-4a8f-9c3e-0c1f2a3b4c5d","#,
            r#""output":"09:21:07.418790000: Warning K8s configmap with private credential (user=minikube-user verb=create resource=configmaps configmap=aws-creds)","#,
            r#""priority":"Warning","rule":"Create/Modify Configmap With Private Credentials","#,
            r#""time":"2024-05-14T09:21:07.41879Z","#,
            r#""output_fields":{"evt.time":1715678467418790000,"ka.req.configmap.name":"aws-creds","ka.target.resource":"configmaps","ka.user.name":"minikube-user","ka.verb":"create"},"#,
            r#""source":"k8s_audit","tags":["k8s"],"hostname":"minikube"}"#
        )
    );
}

#[test]
fn rejects_what_falcosidekick_rejects() {
    let cases = [
        ("not json", "invalid_json"),
        ("[]", "invalid_json"),
        (
            r#"{"priority":"loud","rule":"r","time":"2024-01-01T00:00:00Z"}"#,
            "invalid_priority",
        ),
        (
            r#"{"rule":"r","time":"2024-01-01T00:00:00Z"}"#,
            "invalid_priority",
        ),
        (
            r#"{"priority":3,"rule":"r","time":"2024-01-01T00:00:00Z"}"#,
            "invalid_json",
        ),
        (r#"{"priority":"info","rule":"r"}"#, "invalid_time"),
        (
            r#"{"priority":"info","rule":"r","time":"0001-01-01T00:00:00Z"}"#,
            "invalid_time",
        ),
        (
            r#"{"priority":"info","rule":"r","time":"14 May 2024"}"#,
            "invalid_time",
        ),
        (
            r#"{"priority":"info","rule":"r","time":"2024-01-01T00:00:00Z","output":7}"#,
            "invalid_json",
        ),
    ];
    for (body, reason) in cases {
        let err = Alert::decode(body.as_bytes()).expect_err(body);
        assert_eq!(err.reason(), reason, "{body}");
    }
}

#[test]
fn validate_requires_rule_and_output_fields() {
    let no_rule = Alert::decode(
        br#"{"priority":"info","rule":"","time":"2024-01-01T00:00:00Z","output_fields":{"a":1}}"#,
    )
    .unwrap();
    assert_eq!(no_rule.validate().unwrap_err().reason(), "empty_rule");
    let no_fields =
        Alert::decode(br#"{"priority":"info","rule":"r","time":"2024-01-01T00:00:00Z"}"#).unwrap();
    assert_eq!(
        no_fields.validate().unwrap_err().reason(),
        "empty_output_fields"
    );
}

#[test]
fn null_strings_and_unknown_fields_are_accepted() {
    let alert = Alert::decode(
        br#"{"priority":"Notice","rule":"r","time":"2024-01-01T00:00:00Z","output":null,
            "hostname":null,"tags":null,"extra":{"ignored":true},"output_fields":{"a":"b"}}"#,
    )
    .unwrap();
    assert_eq!(alert.output, "");
    assert!(alert.tags.is_empty());
    assert!(alert.validate().is_ok());
}

#[test]
fn a_payload_reads_back_with_its_uuid_and_bytes() {
    let mut alert = Alert::decode(SAMPLE.as_bytes()).unwrap();
    alert.uuid = "4b8c1a36-1d7e-4a59-9b1f-2f1a6a0e1c11".into();
    let payload = Bytes::copy_from_slice(&alert.render_json());
    let back = Alert::from_payload(payload.clone()).unwrap();
    assert_eq!(back, alert);
    assert_eq!(back.json_bytes(), &payload);
    assert!(Alert::from_payload(Bytes::from_static(b"[1]")).is_err());
}

mod json_len {
    use super::*;
    use proptest::prelude::*;

    /// Strings rich in what JSON and Go escape.
    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("a".to_owned()),
                Just("é".to_owned()),
                Just("<>&".to_owned()),
                Just("\"\\".to_owned()),
                Just("\n\t\r\u{8}\u{c}".to_owned()),
                Just("\u{1}\u{1f}\u{7f}".to_owned()),
                Just("\u{2028}\u{2029}\u{2027}".to_owned()),
                Just("\u{e2}".to_owned()),
                "\\PC{0,4}",
            ],
            0..6,
        )
        .prop_map(|parts| parts.concat())
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            text().prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(text(), inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn is_the_length_of_the_rendered_payload(
            uuid in prop_oneof![Just(String::new()), text()],
            output in text(),
            rule in text(),
            source in text(),
            hostname in prop_oneof![Just(String::new()), text()],
            tags in proptest::collection::vec(text(), 0..4),
            fields in proptest::collection::btree_map(text(), value(), 0..6),
            nanos in 0u32..1_000_000_000,
        ) {
            let time = crate::parse_time(&format!("2024-05-14T09:21:07.{nanos:09}Z")).unwrap();
            let mut alert = Alert::new(
                output,
                Priority::Warning,
                rule,
                time,
                fields.into_iter().collect(),
                source,
                tags,
                hostname,
            );
            alert.uuid = uuid;
            prop_assert_eq!(alert.json_len(), alert.render_json().len());
            prop_assert_eq!(alert.json_len(), alert.to_json().len());
        }
    }
}
