//! Golden point lines, the SDK's sanitising, tag cutting, validation and the falcosidekick
//! keys through the config loader.

use falconer_config::{CommonSettings, OutputEntry};
use falconer_testkit::{enriched, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

use crate::wavefront::{point_line, WavefrontConfig, KIND, MAX_TAG_BYTES};

/// Compares `got` with `tests/fixtures/wavefront/<name>` (`UPDATE_GOLDEN=1` rewrites it).
fn golden(name: &str, got: impl AsRef<[u8]>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/wavefront");
    falconer_http::fixtures::assert_golden(dir, name, got);
}

#[test]
fn a_k8s_audit_alert_is_one_point_with_falcosidekicks_tags() {
    let a = enriched(CONFIGMAP_ALERT, 1);
    let (line, truncated) = point_line(&a, "falco.alert");
    golden("configmap.txt", &line);
    assert!(!truncated);
    assert_eq!(
        line,
        "\"falco.alert\" 1 1715678467418790000 source=\"falco-exporter\" \
         \"hostname\"=\"minikube\" \"ka.req.configmap.name\"=\"aws-creds\" \
         \"ka.target.resource\"=\"configmaps\" \"ka.user.name\"=\"minikube-user\" \
         \"ka.verb\"=\"create\" \"rule\"=\"Create/Modify Configmap With Private Credentials\" \
         \"severity\"=\"Warning\" \"source\"=\"k8s_audit\" \"tags\"=\"k8s\"\n"
    );
}

#[test]
fn numbers_and_nulls_are_not_tags_and_tags_are_joined() {
    let a = enriched(SHELL_ALERT, 2);
    let (line, _) = point_line(&a, "falco.alert");
    golden("shell.txt", &line);
    assert!(!line.contains("evt.time"), "{line}");
    assert!(!line.contains("n_drops"), "{line}");
    assert!(!line.contains("user.uid"), "{line}");
    assert!(
        line.contains(" \"tags\"=\"container, mitre_execution, shell\""),
        "{line}"
    );
    assert!(line.contains(" \"k8s.ns.name\"=\"default\""), "{line}");
}

#[test]
fn names_keys_and_values_are_sanitised_like_the_go_sdk() {
    let json = json!({
        "output": "x", "priority": "Critical", "rule": "r", "time": "2024-05-14T10:00:00Z",
        "source": "syscalls", "hostname": "",
        "output_fields": {
            "proc.cmdline": "  sh -c \"echo 'hi'\"\nnext  ",
            "weird key!": "v",
            "empty": "   ",
            "rule": "replaced by the field"
        }
    });
    let a = enriched(&json.to_string(), 3);
    let (line, _) = point_line(&a, "falco alert/µ");
    assert_eq!(
        line,
        "\"falco-alert/--\" 1 1715680800000000000 source=\"falco-exporter\" \
         \"proc.cmdline\"=\"sh -c \\\"echo 'hi'\\\"\\nnext\" \"rule\"=\"replaced by the field\" \
         \"severity\"=\"Critical\" \"source\"=\"syscalls\" \"weird-key-\"=\"v\"\n",
        "no hostname tag when empty, no empty tag"
    );
}

#[test]
fn a_tag_longer_than_wavefronts_limit_is_cut_at_a_character_boundary() {
    let long = "é".repeat(300);
    let json = json!({
        "output": "x", "priority": "Notice", "rule": "r", "time": "2024-05-14T10:00:00Z",
        "output_fields": {"proc.cmdline": long}
    });
    let a = enriched(&json.to_string(), 4);
    let (line, truncated) = point_line(&a, "falco.alert");
    assert!(truncated);
    let value = line
        .split(" \"proc.cmdline\"=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert!("proc.cmdline".len() + value.len() <= MAX_TAG_BYTES);
    assert_eq!(
        value.len(),
        242,
        "121 two-byte characters fit beside the key"
    );
}

fn problems(settings: Value) -> Vec<String> {
    let entry = OutputEntry {
        name: "wavefront".into(),
        kind: "wavefront".into(),
        path: "wavefront".into(),
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
    assert!(problems(json!({"endpointtype": "proxy", "endpointhost": "wf-proxy"})).is_empty());
    assert!(problems(
        json!({"endpointtype": "direct", "endpointhost": "example.wavefront.com", "endpointtoken": "t"})
    )
    .is_empty());
    assert_eq!(
        problems(json!({"endpointhost": "wf-proxy"})),
        vec!["wavefront.endpointtype"]
    );
    assert_eq!(
        problems(json!({"endpointtype": "direct", "endpointhost": "example.wavefront.com"})),
        vec!["wavefront.endpointtoken"]
    );
    assert_eq!(
        problems(
            json!({"endpointtype": "proxy", "endpointhost": "wf:2878/x", "endpointmetricport": 0, "metricname": " "})
        ),
        vec![
            "wavefront.metricname",
            "wavefront.endpointhost",
            "wavefront.endpointmetricport"
        ]
    );
}

#[test]
fn falcosidekicks_keys_load_from_the_environment() {
    let sources = falconer_config::Sources {
        yaml: None,
        env: [
            ("WAVEFRONT_ENDPOINTTYPE", "direct"),
            ("WAVEFRONT_ENDPOINTHOST", "example.wavefront.com"),
            ("WAVEFRONT_ENDPOINTTOKEN", "s3cr3t"),
            ("WAVEFRONT_METRICNAME", "falco.event"),
            ("WAVEFRONT_BATCHSIZE", "500"),
            ("WAVEFRONT_FLUSHINTERVALSECONDS", "5"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect(),
    };
    let loaded = falconer_config::load(&sources, &[KIND.schema()]).expect("loads");
    assert_eq!(loaded.outputs.len(), 1, "the env enables the block");
    let prepared = KIND.prepare(&loaded.outputs[0]).expect("valid");
    let defaults = prepared.defaults();
    assert_eq!(
        (defaults.max_batch, defaults.linger),
        (500, std::time::Duration::from_secs(5))
    );
    let c: WavefrontConfig =
        falconer_config::from_value(loaded.outputs[0].settings.clone()).expect("reads");
    assert_eq!(
        (c.metricname.as_str(), c.endpointtoken.expose()),
        ("falco.event", "s3cr3t")
    );
}
