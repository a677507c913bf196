//! Any text as a Go template (a `templatedfields` value, a subject template): parsing reports
//! errors and never hangs or panics, and a template that parses renders or fails cleanly.

#![no_main]

#[path = "common.rs"]
mod common;

use falconer_event::GoTemplate;
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    common::contain_template_engine_panics();
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(template) = GoTemplate::parse(source) {
        let fields = json!({
            "proc.name": "bash",
            "k8s.ns.labels.team": "payments",
            "n": 12345678901234567890u64,
            "ratio": 1.5,
            "list": [1, "a", null],
        });
        if let Some(map) = fields.as_object() {
            let _ = template.render_fields(map);
        }
    }
});
