//! Golden body, MarkdownV2 escaping, the 4,096-character limit, URL and validation.

use std::sync::Arc;

use crate::common::Encode;
use falconer_core::Alert;
use falconer_http::contract::assert_rejected;
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, SHELL_ALERT};
use serde_json::{json, Value};

use super::{markdown_v2_escape, TelegramConfig, KIND, MAX_TEXT_UTF16};

/// Through the config loader's lenient deserializer (a numeric `chatid` becomes a string).
fn config(v: Value) -> TelegramConfig {
    falconer_config::from_value(v).expect("valid config")
}

/// `tests/fixtures/telegram`, compared with [`assert_golden`]; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/telegram");

#[test]
fn the_body_is_falcosidekicks() {
    let c = config(json!({"token": "123:ABC", "chatid": -1001234567890i64}));
    let encoded = c
        .encoder()
        .encode(&enriched(SHELL_ALERT, 1))
        .expect("encodes");
    assert!(!encoded.truncated);
    let body = String::from_utf8(encoded.body).expect("UTF-8");
    assert_golden(FIXTURES, "sendmessage.json", &body);
    let v: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(v["chat_id"], "-1001234567890");
    assert_eq!(v["parse_mode"], "MarkdownV2");
    assert!(v.get("message_thread_id").is_none());
    let text = v["text"].as_str().expect("text");
    assert!(text.starts_with("*\\[Falco\\] \\[Notice\\] Terminal shell in container*\n\n• *Time*: 2024\\-05\\-14 16:31:56\\.746609046 \\+0000 UTC\n"));
    assert!(text.contains("\t  • *user\\.uid*: <nil\\>\n"));
    let threaded = config(json!({"token": "1:A", "chatid": "@falco", "messagethreadid": "42"}));
    let v: Value = serde_json::from_slice(
        &threaded
            .encoder()
            .encode(&enriched(SHELL_ALERT, 1))
            .expect("encodes")
            .body,
    )
    .expect("JSON");
    assert_eq!(v["message_thread_id"], "42");
}

#[test]
fn every_reserved_character_and_the_backslash_are_escaped() {
    assert_eq!(
        markdown_v2_escape(r"a_b*c[d]e(f)g~h`i>j#k+l-m=n|o{p}q.r!s\t"),
        r"a\_b\*c\[d\]e\(f\)g\~h\`i\>j\#k\+l\-m\=n\|o\{p\}q\.r\!s\\t"
    );
}

#[test]
fn long_texts_are_kept_within_4096_characters() {
    let mut v: Value = serde_json::from_str(SHELL_ALERT).expect("JSON");
    v["output"] = "a.b-".repeat(2_000).into();
    for i in 0..10 {
        v["output_fields"][format!("f.{i}")] = "😀".repeat(400).into();
    }
    let alert = Arc::new(Alert::decode(v.to_string().as_bytes()).expect("alert"));
    let c = config(json!({"token": "1:A", "chatid": "1"}));
    let encoded = c.encoder().encode(&alert).expect("encodes");
    assert!(encoded.truncated);
    let v: Value = serde_json::from_slice(&encoded.body).expect("JSON");
    let text = v["text"].as_str().expect("text");
    assert!(text.encode_utf16().count() <= MAX_TEXT_UTF16);
    assert!(text.contains("… \\[truncated\\]"));
    assert!(!text.contains("\\\u{2026}"), "a cut never splits an escape");
}

#[test]
fn the_url_carries_the_token_and_problems_have_paths() {
    let c = config(json!({"token": "123:ABC", "chatid": "1"}));
    assert_eq!(
        c.url().expose(),
        "https://api.telegram.org/bot123:ABC/sendMessage"
    );
    let c = config(json!({"token": "123:ABC", "chatid": "1", "host": "http://bots.local:8081/"}));
    assert_eq!(
        c.url().expose(),
        "http://bots.local:8081/bot123:ABC/sendMessage"
    );
    assert!(!format!("{c:?}").contains("ABC"), "the token is a secret");
    assert_rejected(
        KIND,
        "telegram",
        json!({"token": "", "chatid": " ", "host": "api.telegram.org"}),
        &["token", "chatid", "host"],
    );
}
