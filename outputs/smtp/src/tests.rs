//! Rendering and configuration, without a server: the golden e-mail, subjects, escaping,
//! encodings, validation.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use falconer_config::{CommonSettings, OutputEntry};
use falconer_core::Alert;
use falconer_event::{EnrichSettings, Enricher};
use falconer_testkit::{CONFIGMAP_ALERT, SHELL_ALERT};
use lettre::message::Mailbox;
use mail_parser::MessageParser;

use crate::{MailRenderer, KIND};

/// 2024-05-14T09:21:08Z, a second after the sample alert.
fn date() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_715_678_468)
}

fn alert(json: &str, n: u128) -> Arc<Alert> {
    let mut a = Alert::decode(json.as_bytes()).unwrap();
    Enricher::new(&EnrichSettings::default())
        .unwrap()
        .enrich(&mut a, uuid::Uuid::from_u128(n));
    Arc::new(a)
}

fn from() -> Mailbox {
    "Falco <falco@example.com>".parse().unwrap()
}

fn to() -> Vec<Mailbox> {
    vec![
        "secops@example.com".parse().unwrap(),
        "Oncall <oncall@example.com>".parse().unwrap(),
    ]
}

fn render(renderer: &MailRenderer, alerts: &[Arc<Alert>]) -> Vec<u8> {
    renderer
        .message(&from(), &to(), alerts, date())
        .unwrap()
        .formatted()
}

/// The committed example (`docs/outputs/smtp-alert.eml`) is what the output sends, byte for
/// byte. `FALCONER_UPDATE_GOLDEN=1` rewrites it.
#[test]
fn the_example_mail_is_what_is_sent() {
    let renderer = MailRenderer::new("", false).unwrap();
    let mail = render(&renderer, &[alert(CONFIGMAP_ALERT, 7)]);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/outputs/smtp-alert.eml"
    );
    if std::env::var_os("FALCONER_UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &mail).unwrap();
    }
    let golden = std::fs::read(path).expect("docs/outputs/smtp-alert.eml");
    assert_eq!(
        String::from_utf8_lossy(&mail),
        String::from_utf8_lossy(&golden)
    );
}

#[test]
fn a_mail_has_rfc_headers_and_both_parts_with_every_field() {
    let renderer = MailRenderer::new("", false).unwrap();
    let raw = render(&renderer, &[alert(SHELL_ALERT, 9)]);
    let m = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        m.subject(),
        Some("[Notice] 16:31:56.746609046: Notice A shell was spawned in a container with an attached terminal (user=root container_id=5f3c1b2a9d8e)")
    );
    assert_eq!(
        m.message_id(),
        Some("00000000-0000-0000-0000-000000000009@falconer")
    );
    assert_eq!(m.date().map(|d| d.to_timestamp()), Some(1_715_678_468));
    assert_eq!(
        m.from().and_then(|f| f.first()).and_then(|a| a.address()),
        Some("falco@example.com")
    );
    let to: Vec<&str> = m.to().unwrap().iter().filter_map(|a| a.address()).collect();
    assert_eq!(to, vec!["secops@example.com", "oncall@example.com"]);
    let text = m.body_text(0).unwrap();
    for line in [
        "Priority: Notice",
        "Rule: Terminal shell in container",
        "Source: syscalls",
        "Hostname: node-1",
        "Tags: container mitre_execution shell",
        "Time: 2024-05-14T16:31:56.746609046Z",
        "n_drops: 12345678901234567890",
        "ratio: 1.50",
        "user.uid: null",
        "k8s.pod.name: web-7d9c",
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
    let html = m.body_html(0).unwrap();
    assert!(
        html.contains("background-color:#5bffb5;\">Notice</td>"),
        "{html}"
    );
    assert!(html.contains("<tr><th>n_drops</th><td>12345678901234567890</td></tr>"));
}

#[test]
fn text_format_sends_one_plain_part() {
    let renderer = MailRenderer::new("", true).unwrap();
    let raw = render(&renderer, &[alert(SHELL_ALERT, 9)]);
    let m = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(m.text_body_count(), 1);
    let raw = String::from_utf8_lossy(&raw);
    assert!(
        raw.contains("Content-Type: text/plain; charset=utf-8"),
        "{raw}"
    );
    assert!(
        !raw.contains("text/html") && !raw.contains("multipart"),
        "{raw}"
    );
}

#[test]
fn non_ascii_and_markup_survive_encoding_and_escaping() {
    let json = SHELL_ALERT
        .replace(
            "Terminal shell in container",
            "Überwachung <script>alert(1)</script> ☃",
        )
        .replace(
            "\"user.name\":\"root\"",
            "\"user.name\":\"jürgen & <b>co</b>\"",
        );
    let a = alert(&json, 3);
    let renderer = MailRenderer::new("{{ .Rule }} on {{ .Hostname }}", false).unwrap();
    let raw = render(&renderer, &[a]);
    let head = String::from_utf8_lossy(&raw);
    // Headers are 7-bit (RFC 2047 encoded words); the subject decodes back.
    let header_end = head.find("\r\n\r\n").unwrap();
    assert!(head[..header_end].is_ascii(), "{}", &head[..header_end]);
    let m = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        m.subject(),
        Some("Überwachung <script>alert(1)</script> ☃ on node-1")
    );
    assert!(m
        .body_text(0)
        .unwrap()
        .contains("user.name: jürgen & <b>co</b>"));
    let html = m.body_html(0).unwrap();
    assert!(html.contains("Überwachung &lt;script&gt;alert(1)&lt;/script&gt; ☃"));
    assert!(html.contains("jürgen &amp; &lt;b&gt;co&lt;/b&gt;"));
    assert!(!html.contains("<script>"));
}

#[test]
fn subjects_are_one_bounded_line_and_fall_back_on_template_errors() {
    let long = SHELL_ALERT.replace(
        "Terminal shell in container",
        &format!("line one\\nline two {}", "x".repeat(400)),
    );
    let renderer = MailRenderer::new("{{ .Rule }}", false).unwrap();
    let subject = renderer.subject(&alert(&long, 1));
    assert!(!subject.contains('\n'));
    assert_eq!(subject.chars().count(), 250);
    assert!(subject.ends_with('…'));
    let failing = MailRenderer::new("{{ len 3 }}", false).unwrap();
    assert_eq!(
        failing.subject(&alert(SHELL_ALERT, 1)),
        "[Notice] Terminal shell in container"
    );
}

#[test]
fn a_digest_lists_every_alert() {
    let renderer = MailRenderer::new("", false).unwrap();
    let alerts: Vec<_> = (1..=3)
        .map(|n| alert(if n == 2 { CONFIGMAP_ALERT } else { SHELL_ALERT }, n))
        .collect();
    let raw = render(&renderer, &alerts);
    let m = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        m.subject(),
        Some("[Warning] 3 Falco alerts: Terminal shell in container …")
    );
    assert_eq!(
        m.message_id(),
        Some("00000000-0000-0000-0000-000000000001.digest3@falconer")
    );
    let text = m.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(text.starts_with("3 Falco alerts\n"), "{text}");
    for n in 1..=3 {
        assert!(text.contains(&format!("==== {n} of 3 ====")));
        assert!(text.contains(&format!("UUID: 00000000-0000-0000-0000-00000000000{n}")));
    }
    assert!(m.body_html(0).unwrap().contains("<h1>3 Falco alerts</h1>"));
}

fn entry(settings: serde_json::Value) -> OutputEntry {
    OutputEntry {
        name: "mail".into(),
        kind: "smtp".into(),
        path: "smtp".into(),
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
fn every_config_problem_is_reported_with_its_path() {
    let mut got = problems(serde_json::json!({
        "hostport": "mail.example.com",
        "tlsmode": "maybe",
        "authmechanism": "external",
        "from": "not an address",
        "to": "ok@example.com, nope",
        "outputformat": "pdf",
        "subjecttemplate": "{{ .Rule ",
        "digest": {"max": 0},
    }));
    got.sort();
    assert_eq!(got.len(), 8, "{got:#?}");
    for (prefix, got) in [
        "smtp.authmechanism:",
        "smtp.digest.max:",
        "smtp.from:",
        "smtp.hostport:",
        "smtp.outputformat:",
        "smtp.subjecttemplate:",
        "smtp.tlsmode:",
        "smtp.to:",
    ]
    .iter()
    .zip(&got)
    {
        assert!(got.starts_with(prefix), "{got}");
    }
}

#[test]
fn falcosidekick_settings_are_accepted_and_digest_turns_batching_on() {
    let minimal = serde_json::json!({
        "hostport": "localhost:25",
        "tls": false,
        "authmechanism": "none",
        "user": "",
        "password": "",
        "token": "",
        "identity": "",
        "trace": "",
        "from": "falco@example.com",
        "to": "a@example.com,b@example.com",
        "outputformat": "html",
    });
    let prepared = KIND.prepare(&entry(minimal.clone())).unwrap();
    assert_eq!(prepared.defaults().max_batch, 1);
    let mut digest = minimal;
    digest["digest"] = serde_json::json!({"window": "60s", "max": 20});
    let prepared = KIND.prepare(&entry(digest)).unwrap();
    assert_eq!(prepared.defaults().max_batch, 20);
    assert_eq!(prepared.defaults().linger, Duration::from_secs(60));
}
