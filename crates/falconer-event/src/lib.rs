//! The Falco alert model: parsing, validation and enrichment.
//!
//! Everything here is a pure function of its inputs (bytes, settings, a UUID): no I/O, no
//! async runtime. An alert is enriched once and then shared read-only as `Arc<Alert>`.

mod alert;
mod enrich;
mod gofmt;
mod json;
mod priority;
mod template;
mod time;

pub use alert::{Alert, DecodeError, TEST_RULE};
pub use enrich::{
    EnrichSettings, EnrichSetupError, Enricher, TRUNCATE_ABOVE_BYTES, TRUNCATE_FIELD_BYTES,
    TRUNCATE_KEEP_BYTES, TRUNCATION_MARKER,
};
pub use gofmt::go_value;
pub use json::{to_go_json, GoFormatter};
pub use priority::{Priority, UnknownPriority};
pub use template::{
    alert_to_template_value, fields_to_template_value, json_to_template_value, GoTemplate,
    TemplateError,
};
pub use time::{format_time, is_zero_time, now, parse_time, time_to_string, AlertTime};

/// The alert `POST /test` injects, as falcosidekick builds it.
pub fn test_alert(now: AlertTime) -> Alert {
    let mut fields = serde_json::Map::new();
    fields.insert("proc.name".into(), "falcosidekick".into());
    fields.insert("user.name".into(), "falcosidekick".into());
    Alert::new(
        "This is a test from falcosidekick",
        Priority::Debug,
        TEST_RULE,
        now,
        fields,
        "",
        vec!["test".into(), "example".into()],
        "falcosidekick",
    )
}
