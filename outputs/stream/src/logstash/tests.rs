//! Golden lines (tags appended, index brackets rewritten, CRLF), the key rewrite itself,
//! validation and the falcosidekick keys through the config loader.

use falconer_config::{CommonSettings, OutputEntry};
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use crate::logstash::{logstash_line, without_index_brackets, LogstashConfig, KIND};

/// Compares `got` with `tests/fixtures/logstash/<name>` (`UPDATE_GOLDEN=1` rewrites it).
fn golden(name: &str, got: impl AsRef<[u8]>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/logstash");
    falconer_http::fixtures::assert_golden(dir, name, got);
}

/// An alert with indexed field names, as Falco writes `proc.aname[2]` and friends.
const INDEXED_ALERT: &str = r#"{"hostname":"node-1","output":"Notice shell","priority":"Notice","rule":"Terminal shell in container","time":"2024-05-14T16:31:56.746609046Z","source":"syscalls","tags":["shell"],"output_fields":{"proc.aname[2]":"containerd-shim","proc.aname[3]":"systemd","proc.apid[2]":4242,"evt.arg.args":"[0] not an index key","k[a]":"kept","nested":{"x[0][1]":true}}}"#;

#[test]
fn without_extra_tags_or_indexed_keys_the_line_is_the_payload_json() {
    let a = enriched(CONFIGMAP_ALERT, 1);
    let line = logstash_line(&a, &[]);
    golden("configmap.jsonl", &line);
    let mut want = a.to_json().to_vec();
    want.extend_from_slice(b"\r\n");
    assert_eq!(line, want);
}

#[test]
fn configured_tags_are_appended_after_the_alerts_own() {
    let a = enriched(SHELL_ALERT, 2);
    let tags = vec!["falconer".to_owned(), "prod".to_owned()];
    let line = logstash_line(&a, &tags);
    golden("shell-tags.jsonl", &line);
    assert!(line.ends_with(b"\r\n"));
    let v: Value = serde_json::from_slice(&line[..line.len() - 2]).unwrap();
    assert_eq!(
        v["tags"],
        json!(["container", "mitre_execution", "shell", "falconer", "prod"])
    );
    // Everything else is the payload as it was: numbers keep their digits.
    let payload = String::from_utf8_lossy(a.to_json()).into_owned();
    let text = String::from_utf8_lossy(&line).into_owned();
    assert!(text.contains("\"n_drops\":12345678901234567890,"), "{text}");
    assert_eq!(
        text.replace(",\"falconer\",\"prod\"", "").trim_end(),
        payload
    );
}

#[test]
fn index_brackets_in_field_names_become_dots() {
    let a = enriched(INDEXED_ALERT, 3);
    let line = logstash_line(&a, &[]);
    golden("indexed.jsonl", &line);
    let v: Value = serde_json::from_slice(&line[..line.len() - 2]).unwrap();
    let fields = v["output_fields"].as_object().unwrap();
    let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        vec![
            "evt.arg.args",
            "k[a]",
            "nested",
            "proc.aname.2",
            "proc.aname.3",
            "proc.apid.2"
        ]
    );
    assert_eq!(fields["nested"], json!({"x.0.1": true}));
    assert_eq!(fields["proc.apid.2"], json!(4242));
    assert_eq!(fields["evt.arg.args"], json!("[0] not an index key"));
}

#[test]
fn the_rewrite_touches_only_bracketed_digits() {
    for (key, want) in [
        ("proc.aname[2]", "proc.aname.2"),
        ("a[1][22]", "a.1.22"),
        ("a[]", "a[]"),
        ("a[x]", "a[x]"),
        ("a[1", "a[1"),
        ("[7]", ".7"),
        ("a[[3]]", "a[.3]"),
        ("plain", "plain"),
        ("é[0]ü", "é.0ü"),
    ] {
        assert_eq!(without_index_brackets(key), want, "{key}");
    }
}

fn problems(settings: Value) -> Vec<String> {
    let entry = OutputEntry {
        name: "logstash".into(),
        kind: "logstash".into(),
        path: "logstash".into(),
        common: CommonSettings::default(),
        settings,
    };
    match KIND.prepare(&entry) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(|p| p.path.clone()).collect(),
    }
}

#[test]
fn every_bad_key_is_named() {
    assert_eq!(
        problems(json!({"address": "logstash.local"})),
        Vec::<String>::new()
    );
    assert_eq!(
        problems(json!({"address": "logstash:5044", "port": 0})),
        vec!["logstash.port"]
    );
    assert_eq!(
        problems(json!({"address": "http://logstash", "port": 70000})),
        vec!["logstash.address", "logstash.port"]
    );
    assert_eq!(
        problems(json!({"address": "x", "unknown": 1})),
        vec!["logstash.unknown"]
    );
}

#[test]
fn falcosidekicks_keys_load_from_the_file_and_the_environment() {
    let yaml = "logstash:\n  address: 10.0.0.5\n  tags: [a, b]\n";
    let env = [
        ("LOGSTASH_PORT", "5045"),
        ("LOGSTASH_TLS", "true"),
        ("LOGSTASH_CHECKCERT", "true"),
        ("LOGSTASH_CACERTFILE", "/etc/ca.crt"),
    ];
    let sources = falconer_config::Sources {
        yaml: Some(yaml.to_owned()),
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    let loaded = falconer_config::load(&sources, &[KIND.schema()]).expect("loads");
    let entry = loaded
        .outputs
        .iter()
        .find(|o| o.kind == "logstash")
        .expect("the logstash block is an output");
    let c: LogstashConfig = falconer_config::from_value(entry.settings.clone()).expect("reads");
    assert_eq!(
        (
            c.address.as_str(),
            c.port,
            c.tls,
            c.checkcert,
            c.cacertfile.as_str()
        ),
        ("10.0.0.5", 5045, true, true, "/etc/ca.crt")
    );
    assert_eq!(c.tags, ["a", "b"]);
    assert!(!c.mutualtls);
    assert!(KIND.prepare(entry).is_ok());
}
