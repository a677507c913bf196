//! Golden encodings per header format and body format (checked again by the strict parsers of
//! the integration tests), CEF escaping, and validation.

use std::path::PathBuf;
use std::sync::Arc;

use falconer_config::{CommonSettings, GlobalSettings, OutputEntry};
use falconer_core::Alert;
use falconer_event::Enricher;
use falconer_testkit::{CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::json;

#[path = "../../tests/stream/common.rs"]
mod strict;

use crate::syslog::{
    cef_line, escape_extension, escape_header, Facility, Format, Framing, Rfc, SyslogEncoder, KIND,
};

fn alert(json: &str, n: u128) -> Arc<Alert> {
    let mut a = Alert::decode(json.as_bytes()).unwrap();
    Enricher::new(&GlobalSettings::default().enrich_settings())
        .unwrap()
        .enrich(&mut a, uuid::Uuid::from_u128(n));
    Arc::new(a)
}

/// An alert whose rule, output, fields and tags hold every character CEF must escape.
pub(crate) fn nasty_alert() -> Arc<Alert> {
    let json = json!({
        "output": "10:00:00: Critical a=b c\\d e|f\nsecond line\r",
        "priority": "Critical",
        "rule": "Pipe | back\\slash = rule\nx",
        "time": "2024-05-14T10:00:00.000001+02:00",
        "source": "syscalls",
        "hostname": "node=1",
        "tags": ["t=1", "a|b"],
        "output_fields": {
            "proc.cmdline": "sh -c 'x=1; echo \\ | cat'\n",
            "fd.name": null,
            "evt.num": 42,
            "list": ["a", 1, null],
            "obj": {"k": "v=w"}
        }
    });
    alert(&json.to_string(), 7)
}

fn encoder(rfc: Rfc, format: Format) -> SyslogEncoder {
    SyslogEncoder {
        rfc,
        format,
        facility: Facility(0),
        hostname: "falconer-1".into(),
        pid: 4242,
    }
}

/// Compares `got` with `tests/fixtures/<name>`; `UPDATE_GOLDEN=1` rewrites the file.
fn golden(name: &str, got: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/syslog")
        .join(name);
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        String::from_utf8_lossy(got),
        String::from_utf8_lossy(&want),
        "golden {name}"
    );
}

#[test]
fn rfc3164_json_is_go_log_syslogs_line() {
    let a = alert(CONFIGMAP_ALERT, 1);
    let frame = encoder(Rfc::Rfc3164, Format::Json).frame(&a, Framing::Newline);
    golden("3164-json.log", &frame);
    let mut want = b"<4>2024-05-14T09:21:07Z falconer-1 Falco[4242]: ".to_vec();
    want.extend_from_slice(a.to_json());
    want.push(b'\n');
    assert_eq!(
        String::from_utf8_lossy(&frame),
        String::from_utf8_lossy(&want)
    );
    let m = strict::parse_3164(&frame[..frame.len() - 1]);
    assert_eq!((m.facility, m.severity), (0, 4));
    assert_eq!(m.msg.as_bytes(), a.to_json());
}

#[test]
fn rfc3164_cef_carries_falcosidekicks_cef_line() {
    let a = alert(SHELL_ALERT, 2);
    let frame = encoder(Rfc::Rfc3164, Format::Cef).frame(&a, Framing::Newline);
    golden("3164-cef.log", &frame);
    let m = strict::parse_3164(&frame[..frame.len() - 1]);
    assert_eq!((m.severity, m.tag.as_str(), m.pid), (5, "Falco", 4242));
    let cef = strict::parse_cef(&m.msg);
    assert_eq!(
        (
            cef.version.as_str(),
            cef.vendor.as_str(),
            cef.product.as_str(),
            cef.device_version.as_str(),
            cef.signature_id.as_str(),
            cef.name.as_str(),
            cef.severity.as_str()
        ),
        (
            "0",
            "Falcosecurity",
            "Falco",
            "1.0",
            "Falco Event",
            "Terminal shell in container",
            "4"
        )
    );
    assert_eq!(
        cef.keys(),
        vec![
            "uuid",
            "start",
            "msg",
            "source",
            "hostname",
            "outputfields",
            "tags"
        ]
    );
    assert_eq!(
        cef.get("uuid"),
        Some("00000000-0000-0000-0000-000000000002")
    );
    assert_eq!(cef.get("start"), Some("2024-05-14T16:31:56Z"));
    assert_eq!(cef.get("msg"), Some(a.output.as_str()));
    assert_eq!(cef.get("source"), Some("syscalls"));
    assert_eq!(cef.get("hostname"), Some("node-1"));
    assert_eq!(
        cef.get("outputfields"),
        Some(
            "container.id:5f3c1b2a9d8e evt.time:1715704316746609046 k8s.ns.name:default \
             k8s.pod.name:web-7d9c n_drops:12345678901234567890 proc.cmdline:bash ratio:1.50 \
             user.name:root user.uid:<nil>"
        )
    );
    assert_eq!(cef.get("tags"), Some("container,mitre_execution,shell"));
}

#[test]
fn rfc5424_json_and_cef() {
    let a = alert(SHELL_ALERT, 2);
    let mut e = encoder(Rfc::Rfc5424, Format::Json);
    e.facility = Facility::parse("local4").unwrap();
    let message = e.message(&a);
    golden("5424-json.log", &message);
    let m = strict::parse_5424(&message);
    assert_eq!((m.facility, m.severity), (20, 5));
    assert_eq!(m.timestamp, "2024-05-14T16:31:56.746609Z");
    assert_eq!(
        (
            m.hostname.as_str(),
            m.app_name.as_str(),
            m.procid.as_str(),
            m.msgid.as_str()
        ),
        ("falconer-1", "Falco", "4242", "-")
    );
    assert_eq!(m.msg.as_bytes(), a.to_json());

    let message = encoder(Rfc::Rfc5424, Format::Cef).message(&a);
    golden("5424-cef.log", &message);
    let m = strict::parse_5424(&message);
    assert_eq!(m.msg, cef_line(&a));
}

#[test]
fn octet_counting_prefixes_the_length_and_datagrams_follow_go_and_rfc5426() {
    let a = alert(CONFIGMAP_ALERT, 1);
    let e = encoder(Rfc::Rfc5424, Format::Json);
    let message = e.message(&a);
    let frame = e.frame(&a, Framing::Octet);
    golden("5424-json-octet.log", &frame);
    let prefix = format!("{} ", message.len());
    assert!(frame.starts_with(prefix.as_bytes()));
    assert_eq!(&frame[prefix.len()..], message.as_slice());
    assert_eq!(e.datagram(&a), message, "RFC 5426: the message alone");
    let go = encoder(Rfc::Rfc3164, Format::Json);
    assert_eq!(
        go.datagram(&a).last(),
        Some(&b'\n'),
        "Go ends datagrams with \\n"
    );
}

#[test]
fn cef_escapes_pipes_backslashes_equals_and_newlines() {
    let a = nasty_alert();
    let line = cef_line(&a);
    golden("cef-escaping.log", line.as_bytes());
    assert!(!line.contains(['\n', '\r']));
    let cef = strict::parse_cef(&line);
    assert_eq!(
        cef.name, "Pipe | back\\slash = rule x",
        "newlines become spaces in the header"
    );
    assert_eq!(cef.severity, "8");
    assert_eq!(cef.get("msg"), Some(a.output.as_str()));
    assert_eq!(cef.get("hostname"), Some("node=1"));
    assert_eq!(cef.get("start"), Some("2024-05-14T10:00:00+02:00"));
    assert_eq!(
        cef.get("outputfields"),
        Some("evt.num:42 fd.name:<nil> list:[a 1 <nil>] obj:map[k:v=w] proc.cmdline:sh -c 'x=1; echo \\ | cat'\n")
    );
    assert_eq!(
        cef.get("tags"),
        Some("a|b,t=1"),
        "tags as the alert holds them"
    );
    // In a syslog frame too.
    let frame = encoder(Rfc::Rfc5424, Format::Cef).frame(&a, Framing::Newline);
    assert_eq!(
        frame.iter().filter(|b| **b == b'\n').count(),
        1,
        "only the frame's newline"
    );
    let m = strict::parse_5424(&frame[..frame.len() - 1]);
    assert_eq!(
        (m.severity, m.timestamp.as_str()),
        (2, "2024-05-14T08:00:00.000001Z")
    );
}

#[test]
fn escaping_rules() {
    assert_eq!(escape_header("a|b\\c=d\r\ne"), "a\\|b\\\\c=d  e");
    assert_eq!(escape_extension("a|b\\c=d\r\ne"), "a|b\\\\c\\=d\\r\\ne");
}

#[test]
fn an_alert_without_fields_or_tags_keeps_keys_apart() {
    let json = json!({
        "output": "x", "priority": "Debug", "rule": "r", "time": "2024-05-14T10:00:00Z",
        "source": "syscalls", "output_fields": {}
    });
    let line = cef_line(&alert(&json.to_string(), 1));
    let cef = strict::parse_cef(&line);
    assert_eq!(cef.severity, "0");
    assert_eq!(
        cef.keys(),
        vec!["uuid", "start", "msg", "source", "outputfields"]
    );
    assert_eq!(cef.get("outputfields"), Some(""));
}

fn entry(settings: serde_json::Value) -> OutputEntry {
    OutputEntry {
        name: "syslog".into(),
        kind: "syslog".into(),
        path: "syslog".into(),
        common: CommonSettings::default(),
        settings,
    }
}

fn problems(settings: serde_json::Value) -> Vec<String> {
    match KIND.prepare(&entry(settings)) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn validation_reports_every_problem_with_its_path() {
    assert_eq!(
        problems(
            json!({"host": "syslog", "port": "65536", "protocol": "sctp", "format": "leef",
            "rfc": "5425", "framing": "lines", "facility": "local9"})
        ),
        vec![
            "syslog.protocol: \"sctp\" is not udp, tcp or tls",
            "syslog.port: \"65536\" is not a port number (1-65535)",
            "syslog.format: \"leef\" is not json or cef",
            "syslog.rfc: \"5425\" is not 3164 or 5424",
            "syslog.framing: \"lines\" is not newline or octet",
            "syslog.facility: \"local9\" is not a facility name or number 0-23",
        ]
    );
    assert_eq!(
        problems(json!({"host": "syslog"})),
        vec![
            "syslog.protocol: is required: udp, tcp or tls (falcosidekick silently disables the output without it)"
        ]
    );
    assert_eq!(
        problems(json!({"host": "syslog", "protocol": "udp", "tls": true, "framing": "octet"})),
        vec!["syslog.protocol: udp cannot be used with tls: true",]
    );
    assert_eq!(
        problems(json!({"host": "syslog", "protocol": "udp", "framing": "octet"})),
        vec![
            "syslog.framing: octet counting is for tcp and tls; udp sends one message per datagram"
        ]
    );
    // falcosidekick's keys and values, a numeric port, case-insensitive names.
    assert!(
        problems(json!({"host": "10.0.0.1", "port": 514, "protocol": "TCP", "format": "CEF"}))
            .is_empty()
    );
    assert!(problems(json!({"host": "s", "protocol": "tcp", "tls": true, "rfc": 5424, "framing": "octet", "facility": 16})).is_empty());
    let unknown = problems(json!({"host": "s", "protocol": "tcp", "hostport": "x"}));
    assert!(unknown[0].contains("hostport"), "{unknown:?}");
    let d = KIND
        .prepare(&entry(json!({"host": "s", "protocol": "tcp"})))
        .expect("valid")
        .defaults();
    assert_eq!((d.max_batch, d.linger), (100, std::time::Duration::ZERO));
}

#[test]
fn facilities_by_name_and_number() {
    assert_eq!(Facility::parse("kern"), Some(Facility(0)));
    assert_eq!(Facility::parse("LOCAL7"), Some(Facility(23)));
    assert_eq!(Facility::parse("3"), Some(Facility(3)));
    assert_eq!(Facility::parse("24"), None);
    assert_eq!(Facility::parse(""), None);
}
