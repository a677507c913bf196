//! Any bytes through what ingest does with a body: decode, enrich (every step, including
//! templated fields and truncation), validate, serialize; and through the spool's read-back.
//! Nothing may panic, and what is serialized must be valid JSON that reads back.

#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

use bytes::Bytes;
use falconer_event::{Alert, EnrichSettings, Enricher};
use libfuzzer_sys::fuzz_target;

fn enricher() -> &'static Enricher {
    static ENRICHER: OnceLock<Enricher> = OnceLock::new();
    ENRICHER.get_or_init(|| {
        Enricher::new(&EnrichSettings {
            custom_fields: vec![("environment".into(), "prod".into())],
            custom_tags: vec!["fuzz".into()],
            templated_fields: vec![(
                "team".into(),
                r#"{{ or (index . "k8s.ns.labels.team") "none" }}"#.into(),
            )],
            bracket_replacer: "_".into(),
            output_field_format: "<timestamp>: <priority> <output> <custom_fields>".into(),
        })
        .expect("valid enrichment settings")
    })
}

fuzz_target!(|data: &[u8]| {
    common::contain_template_engine_panics();
    if let Ok(mut alert) = Alert::decode(data) {
        let _ = enricher().enrich(&mut alert, uuid::Uuid::nil());
        if alert.validate().is_ok() {
            let json = alert.json_bytes().clone();
            let value: serde_json::Value =
                serde_json::from_slice(&json).expect("serialized alerts are JSON");
            assert!(value.is_object());
            let back = Alert::from_payload(json).expect("an alert reads back");
            assert_eq!(back.rule, alert.rule);
        }
    }
    let _ = Alert::from_payload(Bytes::copy_from_slice(data));
});
