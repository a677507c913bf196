//! Drop-in proof: a falcosidekick 2.34 config with every key of every output block set
//! (`tests/fixtures/falcosidekick-every-key.yaml`) loads, once as the YAML file and once as
//! falcosidekick's environment variables generated from it. The implemented kinds load and
//! validate, the others only warn, and `stan` is the one refused block.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use falconer_config::{load, load_partial, OutputEntry, Sources};
use falconer_core::{OutputKind, Registry};

/// The fixture: every global key and every output block but `stan`.
const FIXTURE: &str = include_str!("../../../tests/fixtures/falcosidekick-every-key.yaml");

/// falcosidekick 2.34's 70 outputs (its "Enabled Outputs" names, §8.1 of the reference) as
/// config block paths. Written out rather than taken from `falcosidekick::OUTPUT_BLOCKS`, so
/// that a block dropped from Falconer's vocabulary fails here.
const FALCOSIDEKICK_OUTPUTS: [&str; 70] = [
    "slack",
    "rocketchat",
    "mattermost",
    "teams",
    "webex",
    "cliq",
    "googlechat",
    "discord",
    "telegram",
    "datadog",
    "datadoglogs",
    "alertmanager",
    "elasticsearch",
    "quickwit",
    "influxdb",
    "loki",
    "sumologic",
    "nats",
    "stan",
    "aws.lambda",
    "aws.sqs",
    "aws.sns",
    "aws.cloudwatchlogs",
    "aws.s3",
    "aws.kinesis",
    "aws.securitylake",
    "smtp",
    "opsgenie",
    "webhook",
    "nodered",
    "cloudevents",
    "azure.eventhub",
    "gcp.pubsub",
    "gcp.storage",
    "gcp.cloudfunctions",
    "gcp.cloudrun",
    "gcp.chronicle",
    "kafka",
    "kafkarest",
    "pagerduty",
    "kubeless",
    "openfaas",
    "fission",
    "tekton",
    "webui",
    "policyreport",
    "rabbitmq",
    "wavefront",
    "grafana",
    "grafanaoncall",
    "yandex.s3",
    "yandex.datastreams",
    "syslog",
    "mqtt",
    "zincsearch",
    "gotify",
    "spyderbat",
    "timescaledb",
    "redis",
    "logstash",
    "n8n",
    "openobserve",
    "dynatrace",
    "otlp.traces",
    "otlp.logs",
    "otlp.metrics",
    "talon",
    "splunk",
    "statsd",
    "dogstatsd",
];

/// Keys whose value is a free-form map (`k:v,k:v` as an env variable), not a nested block.
const MAP_KEYS: &[&str] = &[
    "customfields",
    "templatedfields",
    "customheaders",
    "extralabels",
    "extraannotations",
    "customseveritymap",
    "extensions",
    "customattributes",
    "extraenvvars",
];

/// Problems this test finds on purpose, by path prefix, each with why; every one must still
/// be found (so that a fixed gap is taken off the list), and nothing else may be.
const KNOWN_GAPS: &[(&str, &str)] = &[
    (
        "kubeless.kubeconfig",
        "by design: Falconer does not call through the Kubernetes API service proxy",
    ),
    (
        "openfaas.kubeconfig",
        "by design: Falconer does not call through the Kubernetes API service proxy",
    ),
    (
        "fission.kubeconfig",
        "by design: Falconer does not call through the Kubernetes API service proxy",
    ),
];

/// A leaf of the fixture: a scalar or a flow list.
#[derive(Debug, Clone)]
enum Leaf {
    Scalar(String),
    List(Vec<String>),
}

/// The fixture's leaves with their key paths, in file order (the YAML subset the fixture
/// header describes).
fn leaves(text: &str) -> Vec<(Vec<String>, Leaf)> {
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        let (key, rest) = body
            .split_once(':')
            .unwrap_or_else(|| panic!("fixture line without `key:`: {line:?}"));
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        let rest = rest.trim();
        if rest.is_empty() {
            stack.push((indent, key.to_owned()));
            continue;
        }
        let mut path: Vec<String> = stack.iter().map(|(_, k)| k.clone()).collect();
        path.push(key.to_owned());
        let leaf = match rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            Some(items) => Leaf::List(items.split(',').map(|i| unquote(i.trim())).collect()),
            None => Leaf::Scalar(unquote(rest)),
        };
        out.push((path, leaf));
    }
    out
}

fn unquote(s: &str) -> String {
    if let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        inner.replace("\\\"", "\"")
    } else if let Some(inner) = s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        inner.replace("''", "'")
    } else {
        s.to_owned()
    }
}

/// falcosidekick's env form of `text`: the key path upper-cased and joined with `_`, lists
/// joined with `,`, maps as `k:v,k:v`.
fn env_of(text: &str) -> HashMap<String, String> {
    let mut env: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, leaf) in leaves(text) {
        let map_at = path[..path.len() - 1]
            .iter()
            .position(|k| MAP_KEYS.contains(&k.as_str()));
        let (name_path, item) = match (map_at, &leaf) {
            (Some(at), Leaf::Scalar(v)) => {
                (&path[..=at], format!("{}:{v}", path[at + 1..].join(".")))
            }
            (Some(_), Leaf::List(_)) => panic!("a list inside a map: {path:?}"),
            (None, Leaf::Scalar(v)) => (&path[..], v.clone()),
            (None, Leaf::List(items)) => (&path[..], items.join(",")),
        };
        env.entry(name_path.join("_").to_ascii_uppercase())
            .or_default()
            .push(item);
    }
    env.into_iter().map(|(k, v)| (k, v.join(","))).collect()
}

/// Whether the fixture has a key under block `path` (`aws.sqs`).
fn has_block(leaves: &[(Vec<String>, Leaf)], path: &str) -> bool {
    let block: Vec<&str> = path.split('.').collect();
    leaves
        .iter()
        .any(|(p, _)| p.len() > block.len() && p.iter().zip(&block).all(|(a, b)| a == b))
}

/// Every problem `kind` finds in `entry`: an unknown key is removed and the rest validated
/// again, so that all of them are listed, not just the first.
fn prepare_problems(kind: &OutputKind, entry: &OutputEntry) -> Vec<String> {
    let mut entry = entry.clone();
    let mut problems = Vec::new();
    for _ in 0..64 {
        let Err(errors) = kind.prepare(&entry) else {
            break;
        };
        let mut removed = false;
        for e in &errors.0 {
            problems.push(e.to_string());
            let unknown = e
                .message
                .strip_prefix("unknown field `")
                .and_then(|r| r.split('`').next());
            if let Some(field) = unknown {
                removed |= remove_key(&mut entry, &e.path, field);
            }
        }
        if !removed {
            break;
        }
    }
    problems
}

/// Removes `field` from the settings object at error `path` (which may end with `field`).
fn remove_key(entry: &mut OutputEntry, path: &str, field: &str) -> bool {
    let relative = path.strip_prefix(entry.path.as_str()).unwrap_or(path);
    let mut segments: Vec<&str> = relative.split('.').filter(|s| !s.is_empty()).collect();
    if segments.last() == Some(&field) {
        segments.pop();
    }
    let mut cur = &mut entry.settings;
    for s in segments {
        match cur.get_mut(s) {
            Some(next) => cur = next,
            None => return false,
        }
    }
    cur.as_object_mut()
        .is_some_and(|map| map.remove(field).is_some())
}

/// The fixture's keys of `block` that reached neither the kind's settings nor the common
/// settings: dropped silently by the loader.
fn dropped_keys(fixture: &[(Vec<String>, Leaf)], block: &str, entry: &OutputEntry) -> Vec<String> {
    let block: Vec<&str> = block.split('.').collect();
    let keys: BTreeSet<&str> = fixture
        .iter()
        .filter(|(p, _)| p.len() > block.len() && p.iter().zip(&block).all(|(a, b)| a == b))
        .map(|(p, _)| p[block.len()].as_str())
        .collect();
    keys.into_iter()
        .filter(|k| entry.settings.get(*k).is_none() && !reaches_common(k))
        .map(|k| format!("{}.{k}: dropped by the loader", entry.path))
        .collect()
}

/// Whether the loader moves block key `key` to the common settings (`name` and `type` are
/// taken for the instance's name and kind instead).
fn reaches_common(key: &str) -> bool {
    let instance_key = matches!(key, "name" | "type");
    falconer_config::COMMON_KEYS.contains(&key) && !instance_key
}

/// `problems` without the [`KNOWN_GAPS`], plus a problem for each gap no longer found.
fn without_known_gaps(problems: Vec<String>) -> Vec<String> {
    let gap_of = |p: &str| {
        KNOWN_GAPS.iter().map(|(prefix, _)| *prefix).find(|prefix| {
            p.strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with(['.', ':']))
                || p.strip_prefix("load: ")
                    .and_then(|q| q.strip_prefix(prefix))
                    .is_some_and(|rest| rest.starts_with(['.', ':']))
        })
    };
    let found: BTreeSet<&str> = problems.iter().filter_map(|p| gap_of(p)).collect();
    let mut left: Vec<String> = problems
        .iter()
        .filter(|p| gap_of(p).is_none())
        .cloned()
        .collect();
    for (prefix, why) in KNOWN_GAPS {
        if !found.contains(prefix) {
            left.push(format!(
                "{prefix}: listed in KNOWN_GAPS ({why}) but no longer a problem: take it off"
            ));
        }
    }
    left
}

/// The block paths of `registry`'s kinds.
fn implemented(registry: &Registry) -> BTreeSet<&'static str> {
    registry.kinds().iter().map(|k| k.block).collect()
}

/// Loads `sources` and lists every problem: load errors, implemented blocks that did not
/// become an output or do not validate, and warnings other than exactly the blocks Falconer
/// does not implement yet.
fn problems_of(sources: &Sources) -> Vec<String> {
    let registry = super::builtin();
    let fixture = leaves(FIXTURE);
    let (config, errors) = load_partial(sources, &registry.schemas());
    let mut problems: Vec<String> = errors.0.iter().map(|e| format!("load: {e}")).collect();
    for kind in registry.kinds() {
        if !has_block(&fixture, kind.block) {
            continue;
        }
        match config.outputs.iter().find(|o| o.kind == kind.name) {
            None => problems.push(format!(
                "{}: no `{}` output was loaded",
                kind.block, kind.name
            )),
            Some(entry) => {
                problems.extend(prepare_problems(kind, entry));
                problems.extend(dropped_keys(&fixture, kind.block, entry));
            }
        }
    }
    let implemented = implemented(&registry);
    let expected: BTreeSet<&str> = FALCOSIDEKICK_OUTPUTS
        .iter()
        .copied()
        .filter(|b| *b != "stan" && !implemented.contains(b))
        .collect();
    let mut warned = BTreeSet::new();
    for w in &config.warnings {
        match w.strip_suffix(
            ": this falcosidekick output is not implemented by Falconer yet; the block is ignored",
        ) {
            Some(block) => {
                warned.insert(block);
            }
            None => problems.push(format!("unexpected warning: {w}")),
        }
    }
    for block in expected.difference(&warned) {
        problems.push(format!("{block}: not implemented, but no warning"));
    }
    for block in warned.difference(&expected) {
        problems.push(format!("{block}: warned as not implemented, but it is"));
    }
    problems
}

fn assert_no_problems(form: &str, problems: Vec<String>) {
    let problems = without_known_gaps(problems);
    assert!(
        problems.is_empty(),
        "{} problem(s) with every falcosidekick key as {form}:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn the_fixture_has_every_falcosidekick_output_but_stan() {
    let fixture = leaves(FIXTURE);
    let missing: Vec<&str> = FALCOSIDEKICK_OUTPUTS
        .iter()
        .copied()
        .filter(|b| *b != "stan" && !has_block(&fixture, b))
        .collect();
    assert!(
        missing.is_empty(),
        "blocks missing from the fixture: {missing:?}"
    );
    assert!(!has_block(&fixture, "stan"));
    let vocabulary: BTreeSet<&str> = falconer_config::falcosidekick::OUTPUT_BLOCKS
        .iter()
        .map(|(path, _)| *path)
        .collect();
    let listed: BTreeSet<&str> = FALCOSIDEKICK_OUTPUTS.iter().copied().collect();
    assert_eq!(vocabulary, listed, "Falconer's falcosidekick vocabulary");
}

#[test]
fn every_falcosidekick_key_is_accepted_from_yaml() {
    let sources = Sources {
        yaml: Some(FIXTURE.to_owned()),
        env: HashMap::new(),
    };
    assert_no_problems("YAML", problems_of(&sources));
}

#[test]
fn every_falcosidekick_key_is_accepted_from_env() {
    let env = env_of(FIXTURE);
    assert!(env.contains_key("SLACK_WEBHOOKURL") && env.contains_key("AWS_SQS_URL"));
    assert_eq!(env["WEBHOOK_CUSTOMHEADERS"], "X-Team:secops");
    let sources = Sources { yaml: None, env };
    let mut problems = problems_of(&sources);
    // Each key of an implemented block must reach the output from its env variable too.
    let registry = super::builtin();
    let schemas = registry.schemas();
    let from_yaml = load_partial(
        &Sources {
            yaml: Some(FIXTURE.to_owned()),
            env: HashMap::new(),
        },
        &schemas,
    )
    .0;
    let from_env = load_partial(&sources, &schemas).0;
    for yaml_entry in &from_yaml.outputs {
        let keys = |e: &OutputEntry| -> BTreeSet<String> {
            e.settings
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        let env_keys = from_env
            .outputs
            .iter()
            .find(|o| o.name == yaml_entry.name)
            .map(keys)
            .unwrap_or_default();
        for key in keys(yaml_entry).difference(&env_keys) {
            problems.push(format!(
                "{}.{key}: not read from the environment",
                yaml_entry.path
            ));
        }
    }
    assert_no_problems("environment variables", problems);
}

#[test]
fn stan_is_the_one_refused_block() {
    let yaml = "stan:\n  hostport: \"nats://127.0.0.1:4222\"\n  clusterid: \"falco-cluster\"\n  \
                clientid: \"falco-client\"\n  subjecttemplate: \"falco.<priority>.<rule>\"\n  \
                minimumpriority: \"debug\"\n  checkcert: true\n  mutualtls: false\n";
    let schemas = super::builtin().schemas();
    for sources in [
        Sources {
            yaml: Some(yaml.to_owned()),
            env: HashMap::new(),
        },
        Sources {
            yaml: None,
            env: env_of(yaml),
        },
    ] {
        let errors = load(&sources, &schemas).expect_err("stan is refused");
        assert_eq!(errors.0.len(), 1, "{errors:?}");
        assert_eq!(errors.0[0].path, "stan", "{errors:?}");
    }
}

#[test]
fn every_unknown_and_dropped_key_is_reported() {
    let yaml = "slack:\n  webhookurl: \"http://127.0.0.1:9/slack\"\n  bogus: 1\n  nope: 2\n";
    let registry = super::builtin();
    let config = load(
        &Sources {
            yaml: Some(yaml.to_owned()),
            env: HashMap::new(),
        },
        &registry.schemas(),
    )
    .expect("loads");
    let kind = registry.get("slack").expect("slack is built in");
    let problems = prepare_problems(kind, &config.outputs[0]);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems.iter().all(|p| p.contains("unknown field")),
        "{problems:?}"
    );
    let mut entry = config.outputs[0].clone();
    if let Some(map) = entry.settings.as_object_mut() {
        map.remove("bogus");
    }
    assert_eq!(
        dropped_keys(&leaves(yaml), "slack", &entry),
        vec!["slack.bogus: dropped by the loader"]
    );
}
