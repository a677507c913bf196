//! Golden bodies per `format`, URL, token and validation.

use falconer_http::contract::assert_rejected;
use falconer_http::fixtures::assert_golden;
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use super::{GotifyConfig, KIND};

/// `tests/fixtures/gotify`; `UPDATE_GOLDEN=1` rewrites the files.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gotify");

fn config(v: Value) -> GotifyConfig {
    serde_json::from_value(v).expect("config")
}

fn body(format: &str, alert: &falconer_core::Alert) -> String {
    let c = config(json!({"hostport": "http://gotify", "format": format}));
    let body = c.encoder().body(alert).expect("encodes");
    String::from_utf8(body).expect("UTF-8")
}

#[test]
fn bodies_are_falcosidekicks() {
    let shell = enriched(SHELL_ALERT, 1);
    let configmap = enriched(CONFIGMAP_ALERT, 2);
    assert_golden(FIXTURES, "markdown.json", body("markdown", &shell));
    assert_golden(FIXTURES, "plaintext.json", body("text", &configmap));
    assert_golden(FIXTURES, "json.json", body("json", &configmap));
    let v: Value = serde_json::from_str(&body("markdown", &shell)).expect("JSON");
    assert_eq!(v["title"], "[Falco] [Notice] Terminal shell in container");
    assert_eq!(v["priority"], 3);
    assert_eq!(v["extras"]["client::display"]["contentType"], "markdown");
    let v: Value = serde_json::from_str(&body("json", &configmap)).expect("JSON");
    assert_eq!(v["priority"], 4);
    assert_eq!(v["extras"]["client::display"]["contentType"], "plaintext");
    assert_eq!(
        v["message"].as_str().expect("message").as_bytes(),
        configmap.json_bytes().as_ref()
    );
}

#[test]
fn url_token_and_defaults_are_falcosidekicks() {
    let c = config(json!({"hostport": "https://gotify.example.com/", "token": "AbCd"}));
    assert_eq!(
        c.url().expect("URL").as_str(),
        "https://gotify.example.com/message"
    );
    assert_eq!(
        c.options().headers,
        [("X-Gotify-Key".to_owned(), "AbCd".to_owned())]
    );
    assert!(!format!("{c:?}").contains("AbCd"));
    assert!(c.tls.checkcert);
    let c = config(json!({"hostport": "http://gotify"}));
    assert!(c.options().headers.is_empty());
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let text = assert_rejected(
        KIND,
        "gotify",
        json!({"hostport": "gotify:80", "format": "html"}),
        &["hostport", "format"],
    );
    assert!(text.contains("markdown, plaintext, text, json"), "{text}");
}

#[test]
fn layouts_are_falcosidekicks_templates_output() {
    let alert = enriched(CONFIGMAP_ALERT, 2);
    assert_eq!(
        super::layout(&alert, false),
        "Priority: Warning\nRule: Create/Modify Configmap With Private Credentials\n\
         Output: 09:21:07.418790000: Warning K8s configmap with private credential \
         (user=minikube-user verb=create resource=configmaps configmap=aws-creds)\n\
         Source: k8s_audit\nTags: k8s \nTime: 2024-05-14 09:21:07.41879 +0000 UTC\nFields:\n\
         - evt.time: 1715678467418790000\n- ka.req.configmap.name: aws-creds\n\
         - ka.target.resource: configmaps\n- ka.user.name: minikube-user\n- ka.verb: create\n"
    );
    let shell = enriched(SHELL_ALERT, 1);
    let markdown = super::layout(&shell, true);
    assert!(markdown.starts_with("- **Priority**: Notice\n- **Rule**: Terminal shell"));
    assert!(markdown.contains("- **Tags**: container mitre_execution shell \n"));
    assert!(markdown
        .ends_with("\t- **ratio**: 1.50\n\t- **user.name**: root\n\t- **user.uid**: <no value>\n"));
}
