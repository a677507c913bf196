//! Golden body, the message limit and config validation.

use std::sync::Arc;

use crate::common::{Encode, MARKER};
use falconer_core::Alert;
use falconer_http::contract::assert_rejected;
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, SHELL_ALERT};
use serde_json::Value;

use super::{WebexEncoder, KIND, MAX_MARKDOWN_BYTES};

/// `tests/fixtures/webex`, compared with [`assert_golden`]; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/webex");

#[test]
fn the_body_is_falcosidekicks() {
    let encoded = WebexEncoder
        .encode(&enriched(SHELL_ALERT, 1))
        .expect("encodes");
    assert!(!encoded.truncated);
    let body = String::from_utf8(encoded.body).expect("UTF-8");
    assert_golden(FIXTURES, "markdown.json", &body);
    let v: Value = serde_json::from_str(&body).expect("JSON");
    let md = v["markdown"].as_str().expect("markdown");
    assert!(md.starts_with("# Falco Rule 'Terminal shell in container'\n\n### 16:31:56"));
    assert!(
        md.contains("\n\t* n_drops: 12345678901234567890\n\t"),
        "numbers exactly"
    );
    assert!(
        md.contains("\n\t* user.uid: <no value>\n\t"),
        "null as Go's template prints it"
    );
    assert!(md.contains("  * Tags:\n    \n    * container\n    \n    * mitre_execution"));
}

#[test]
fn long_messages_are_kept_within_webexs_limit() {
    let mut v: Value = serde_json::from_str(SHELL_ALERT).expect("JSON");
    v["output"] = "o".repeat(6_000).into();
    for i in 0..10 {
        v["output_fields"][format!("f.{i}")] = "ü".repeat(1_000).into();
    }
    let alert = Arc::new(Alert::decode(v.to_string().as_bytes()).expect("alert"));
    let encoded = WebexEncoder.encode(&alert).expect("encodes");
    assert!(encoded.truncated);
    let v: Value = serde_json::from_slice(&encoded.body).expect("JSON");
    let md = v["markdown"].as_str().expect("markdown");
    assert!(md.len() <= MAX_MARKDOWN_BYTES, "{}", md.len());
    assert!(md.contains(MARKER));
}

#[test]
fn the_webhook_url_is_checked_with_its_path() {
    assert_rejected(
        KIND,
        "webex",
        serde_json::json!({"webhookurl": "webexapis.com/v1/webhooks/incoming/x"}),
        &["webhookurl"],
    );
}
