//! Property tests: no input, however odd, makes decoding or enrichment panic.

use falconer_event::{Alert, EnrichSettings, Enricher};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn enricher() -> Enricher {
    Enricher::new(&EnrichSettings {
        custom_fields: vec![("env".into(), "prod".into())],
        custom_tags: vec!["t".into()],
        templated_fields: vec![(
            "team".into(),
            r#"{{ or (index . "k8s.ns.labels.team") "none" }}"#.into(),
        )],
        bracket_replacer: "_".into(),
        output_field_format: "<timestamp>: <priority> <output> <custom_fields> (<tags>)".into(),
    })
    .expect("valid settings")
}

fn decode_and_enrich(bytes: &[u8], enricher: &Enricher) {
    if let Ok(mut alert) = Alert::decode(bytes) {
        let _ = enricher.enrich(&mut alert, uuid::Uuid::nil());
        let _ = alert.validate();
        let json = alert.to_json();
        // Whatever we emit must itself be valid JSON.
        assert!(serde_json::from_slice::<Value>(json).is_ok());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_and_enrich(&bytes, &enricher());
    }

    #[test]
    fn arbitrary_json_never_panics(value in arb_json()) {
        let bytes = serde_json::to_vec(&value).expect("serializable");
        decode_and_enrich(&bytes, &enricher());
    }

    #[test]
    fn arbitrary_output_fields_round_trip(fields in prop::collection::btree_map(".{0,16}", arb_json(), 1..12),
                                          output in ".{0,200}", rule in ".{1,40}") {
        let body = json!({
            "output": output, "priority": "Warning", "rule": rule,
            "time": "2024-05-14T09:21:07.418790000Z",
            "output_fields": fields.clone().into_iter().collect::<Map<_, _>>(),
        });
        let alert = Alert::decode(&serde_json::to_vec(&body).expect("serializable")).expect("valid alert");
        let back: Value = serde_json::from_slice(alert.to_json()).expect("valid JSON");
        prop_assert_eq!(&back["output_fields"], &body["output_fields"]);
        prop_assert_eq!(&back["output"], &body["output"]);
    }
}
