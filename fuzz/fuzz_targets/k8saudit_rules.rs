//! Any text as a Falco rules file (loaded alone, and on top of Falconer's default rules when
//! it appends, overrides or enables):
//! loading reports errors with their file and never panics, and rules that load evaluate an
//! audit event.

#![no_main]

use falconer_k8saudit::{
    default_rules, parse_body, AlertSettings, BodyLimits, Engine, RuleFile, RuleMatching, RuleSet,
};
use libfuzzer_sys::fuzz_target;

const EVENT: &[u8] = br#"{"kind":"Event","auditID":"f","stage":"ResponseComplete","verb":"create","user":{"username":"u","groups":["g"]},"objectRef":{"resource":"pods","namespace":"default","name":"p"},"requestObject":{"spec":{"containers":[{"image":"nginx","securityContext":{"privileged":true}}]}},"responseStatus":{"code":201},"stageTimestamp":"2024-05-14T09:21:07.418790Z"}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = RuleFile {
        name: "fuzz.yaml".into(),
        text: text.to_owned(),
    };
    let event = parse_body(EVENT, &BodyLimits::default()).expect("the event parses");
    // On top of the defaults only when the file may change them (loading them is the slow
    // part of an iteration).
    let changes_defaults = ["append", "override", "enabled"]
        .iter()
        .any(|k| text.contains(k));
    let mut sets = vec![vec![file.clone()]];
    if changes_defaults {
        sets.push(vec![default_rules(), file]);
    }
    for files in sets {
        match RuleSet::load(&files) {
            Ok(rules) => {
                let engine = Engine::new(
                    rules,
                    RuleMatching::All,
                    AlertSettings {
                        hostname: "fuzz".into(),
                        time_format_iso8601: false,
                    },
                );
                for alert in engine.evaluate(&event.events[0]) {
                    assert_eq!(alert.source, "k8s_audit");
                }
            }
            Err(errors) => {
                assert!(!errors.0.is_empty());
                assert!(errors.0.iter().all(|e| !e.file.is_empty()));
            }
        }
    }
});
