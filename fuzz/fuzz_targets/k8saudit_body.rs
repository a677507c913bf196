//! Any bytes as an audit webhook body: parsing refuses or accepts within the limits and never
//! panics, and every event accepted is evaluated against Falconer's default rules with
//! `rule_matching: all`, each alert well formed.

#![no_main]

use std::sync::OnceLock;

use falconer_k8saudit::{
    default_rules, parse_body, AlertSettings, BodyLimits, Engine, RuleMatching, RuleSet,
};
use libfuzzer_sys::fuzz_target;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let rules = RuleSet::load(&[default_rules()]).expect("the default rules load");
        Engine::new(
            rules,
            RuleMatching::All,
            AlertSettings {
                hostname: "fuzz".into(),
                time_format_iso8601: false,
            },
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let limits = BodyLimits {
        max_request_bytes: 65536,
        max_event_bytes: 16384,
    };
    let Ok(parsed) = parse_body(data, &limits) else {
        return;
    };
    for event in &parsed.events {
        for alert in engine().evaluate(event) {
            assert!(alert.validate().is_ok());
            assert!(alert.output_fields.contains_key("evt.time"));
            let _ = alert.to_json();
        }
    }
});
