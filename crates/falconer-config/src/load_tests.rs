use super::*;
use crate::schema::OverflowPolicy;
use falconer_event::Priority;

const WEBHOOK: KindSchema = KindSchema {
    name: "webhook",
    block: "webhook",
    enabled_by: &["address"],
    fields: &[
        "address",
        "method",
        "customheaders",
        "checkcert",
        "mutualtls",
    ],
};
const STDOUT: KindSchema = KindSchema {
    name: "stdout",
    block: "stdout",
    enabled_by: &["enabled"],
    fields: &["enabled"],
};
/// falcosidekick's RabbitMQ block has a `queue` key of its own.
const RABBITMQ: KindSchema = KindSchema {
    name: "rabbitmq",
    block: "rabbitmq",
    enabled_by: &["url"],
    fields: &["url", "queue"],
};
const KINDS: &[KindSchema] = &[WEBHOOK, STDOUT, RABBITMQ];

fn sources(yaml: &str, env: &[(&str, &str)]) -> Sources {
    Sources {
        yaml: Some(yaml.to_owned()),
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn messages(err: ConfigErrors) -> Vec<String> {
    err.0.iter().map(ToString::to_string).collect()
}

/// An excerpt of falcosidekick's own config_example.yaml: every block present, most empty.
const FALCOSIDEKICK_YAML: &str = r#"
listenaddress: ""
listenport: 2801
debug: false
customfields:
  Akey: "AValue"
customtags:
  - tag1
templatedfields:
  Dkey: '{{ or (index . "k8s.ns.labels.foo") "bar" }}'
bracketreplacer: ""
mutualtlsfilespath: "/etc/certs"
mutualtlsclient:
  certfile: ""
  keyfile: ""
  cacertfile: ""
tlsclient:
  cacertfile: ""
tlsserver:
  deploy: false
  notlsport: 2810
  notlspaths:
    - "/ping"
slack:
  webhookurl: ""
  channel: ""
  footer: ""
  outputformat: "all"
  minimumpriority: ""
  messageformat: ""
webhook:
  address: "http://localhost:9090/"
  method: "POST"
  minimumpriority: "warning"
  checkcert: true
  customheaders:
    Authorization: "Bearer abc"
aws:
  region: ""
  sqs:
    url: ""
    minimumpriority: ""
  lambda:
    functionname: ""
elasticsearch:
  hostport: ""
  batching:
    enabled: true
    batchsize: 5242880
prometheus:
  extralabels: ""
statsd:
  forwarder: ""
"#;

#[test]
fn falcosidekick_config_yaml_loads_as_is() {
    let config = load(&sources(FALCOSIDEKICK_YAML, &[]), KINDS).expect("valid config");
    assert_eq!(config.global.listenport, 2801);
    assert_eq!(config.global.customfields["Akey"], "AValue");
    assert_eq!(config.global.customtags, vec!["tag1"]);
    assert_eq!(config.global.tlsserver.notlspaths, vec!["/ping"]);
    assert_eq!(config.outputs.len(), 1);
    let webhook = &config.outputs[0];
    assert_eq!(
        (
            webhook.name.as_str(),
            webhook.kind.as_str(),
            webhook.path.as_str()
        ),
        ("webhook", "webhook", "webhook")
    );
    assert_eq!(webhook.common.minimum_priority(), Some(Priority::Warning));
    assert_eq!(webhook.settings["address"], "http://localhost:9090/");
    assert_eq!(
        webhook.settings["customheaders"]["Authorization"],
        "Bearer abc"
    );
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn env_overrides_the_file_with_falcosidekick_names() {
    let env = [
        ("LISTENPORT", "2900"),
        ("CUSTOMFIELDS", "environment:prod,region:eu-west-1"),
        ("CUSTOMTAGS", "a, b"),
        ("WEBHOOK_ADDRESS", "http://127.0.0.1:7000/hook"),
        ("WEBHOOK_MINIMUMPRIORITY", "error"),
        ("WEBHOOK_CHECKCERT", "false"),
        ("WEBHOOK_CUSTOMHEADERS", "X-Team:secops"),
        ("WEBHOOK_QUEUE_CAPACITY", "50"),
        ("WEBHOOK_NOTAKEY", "ignored"),
        ("PATH", "/usr/bin"),
        ("SLACK_TOKEN", "not-ours"),
        ("MUTUALTLSCLIENT_CERTFILE", "/c.crt"),
    ];
    let config = load(&sources(FALCOSIDEKICK_YAML, &env), KINDS).expect("valid config");
    assert_eq!(config.global.listenport, 2900);
    assert_eq!(config.global.customfields["environment"], "prod");
    assert_eq!(config.global.customfields["region"], "eu-west-1");
    assert_eq!(
        config.global.customfields["Akey"], "AValue",
        "env map entries merge into the file's"
    );
    assert_eq!(config.global.customtags, vec!["a", "b"]);
    assert_eq!(config.global.mutualtlsclient.certfile, "/c.crt");
    let webhook = &config.outputs[0];
    assert_eq!(webhook.settings["address"], "http://127.0.0.1:7000/hook");
    assert_eq!(webhook.settings["checkcert"], "false");
    assert_eq!(webhook.settings["customheaders"]["X-Team"], "secops");
    assert_eq!(
        webhook.settings["customheaders"]["Authorization"],
        "Bearer abc"
    );
    assert!(webhook.settings.get("notakey").is_none());
    assert_eq!(webhook.common.minimum_priority(), Some(Priority::Error));
    assert_eq!(webhook.common.queue.capacity, 50);
}

#[test]
fn env_alone_enables_a_singleton_output() {
    let config = load(
        &Sources {
            yaml: None,
            env: [("WEBHOOK_ADDRESS".to_owned(), "http://h/".to_owned())].into(),
        },
        KINDS,
    )
    .unwrap();
    assert_eq!(config.outputs.len(), 1);
}

#[test]
fn customfields_percent_values_come_from_env() {
    let yaml = "customfields:\n  cluster: \"%CLUSTER_NAME\"\n  missing: \"%NOPE\"\n";
    let config = load(&sources(yaml, &[("CLUSTER_NAME", "prod-eu")]), KINDS).unwrap();
    assert_eq!(config.global.customfields["cluster"], "prod-eu");
    assert_eq!(config.global.customfields["missing"], "");
    assert_eq!(config.warnings.len(), 1);
}

#[test]
fn named_instances_allow_several_of_one_kind() {
    let yaml = r#"
outputs:
  - name: secops
    type: webhook
    address: http://a/
    minimumpriority: warning
    maxconcurrentrequests: 8
    timeout: 2s
    queue: { capacity: 100, overflow: reject }
  - name: audit
    type: webhook
    address: http://b/
"#;
    let config = load(&sources(yaml, &[]), KINDS).unwrap();
    assert_eq!(config.outputs.len(), 2);
    let secops = &config.outputs[0];
    assert_eq!(secops.path, "outputs[0] (secops)");
    assert_eq!(secops.common.maxconcurrentrequests, 8);
    assert_eq!(secops.common.timeout, crate::GoDuration::from_secs(2));
    assert_eq!(secops.common.queue.overflow, OverflowPolicy::Reject);
    assert!(secops.settings.get("minimumpriority").is_none());
    assert_eq!(config.outputs[1].settings["address"], "http://b/");
}

#[test]
fn ingest_deadlines_cannot_be_turned_off() {
    let yaml = "ingest:\n  headertimeout: 0s\n  idletimeout: 0\n  bodytimeout: 0s\n";
    let err = messages(load(&sources(yaml, &[]), KINDS).unwrap_err());
    for key in ["headertimeout", "idletimeout", "bodytimeout"] {
        assert!(
            err.contains(&format!("ingest.{key}: must be greater than 0")),
            "{err:?}"
        );
    }
    let env = [("INGEST_HEADERTIMEOUT", "0")];
    let err = messages(load(&sources("", &env), KINDS).unwrap_err());
    assert_eq!(err, ["ingest.headertimeout: must be greater than 0"]);
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let yaml = r#"
listenport: "many"
listenaddress: "not-an-ip"
bogus: 1
templatedfields:
  broken: "{{ index . "
outputs:
  - name: a
    type: webhook
    timeout: soon
  - name: a
    type: webhook
  - type: carrier-pigeon
  - name: q
    type: webhook
    queue: { capacity: 0 }
"#;
    let err = messages(load(&sources(yaml, &[]), KINDS).unwrap_err());
    let expected = [
        "bogus: unknown key",
        "listenport: invalid value: string \"many\"",
        "templatedfields.broken: invalid template",
        "outputs[0] (a).timeout:",
        "outputs[1] (a): duplicate output name \"a\"",
        "outputs[2].name: missing",
        "outputs[2].type: unknown output type \"carrier-pigeon\"",
        "outputs[3] (q).queue.capacity: must be between 1 and 10000000",
    ];
    for e in expected {
        assert!(
            err.iter().any(|m| m.starts_with(e)),
            "missing {e:?} in {err:#?}"
        );
    }
}

#[test]
fn unimplemented_falcosidekick_outputs_warn() {
    let yaml = "slack:\n  webhookurl: https://hooks.slack.com/services/x\naws:\n  sqs:\n    url: https://sqs\n";
    let config = load(&sources(yaml, &[]), KINDS).unwrap();
    assert_eq!(config.outputs.len(), 0);
    assert_eq!(config.warnings.len(), 2, "{:?}", config.warnings);
    assert!(config.warnings[0].starts_with("slack:"));
}

#[test]
fn a_stan_block_is_refused_with_a_pointer_to_nats_jetstream() {
    let yaml = "stan:\n  hostport: nats://nats:4222\n  clusterid: falco\n  clientid: sidekick\noutputs:\n  - name: streaming\n    type: stan\n    hostport: nats://nats:4222\n";
    let err = messages(load(&sources(yaml, &[]), KINDS).unwrap_err());
    assert_eq!(err.len(), 2, "{err:#?}");
    assert!(
        err[0].starts_with("stan: NATS Streaming (STAN) is end-of-life"),
        "{err:#?}"
    );
    assert!(
        err[0].contains("`nats` output with `jetstream: true`"),
        "{err:#?}"
    );
    assert!(
        err[1].starts_with("outputs[0] (streaming).type: NATS Streaming"),
        "{err:#?}"
    );
    // From the environment alone, as falcosidekick's Helm chart configures it.
    let env = [
        ("STAN_HOSTPORT", "nats://nats:4222"),
        ("STAN_CLUSTERID", "falco"),
        ("STAN_CLIENTID", "sidekick"),
    ];
    let err = messages(
        load(
            &Sources {
                yaml: None,
                env: env
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            },
            KINDS,
        )
        .unwrap_err(),
    );
    assert!(err[0].starts_with("stan: NATS Streaming"), "{err:#?}");
    // A block that falcosidekick would not enable either stays a no-op.
    let config = load(&sources("stan:\n  hostport: \"\"\n", &[]), KINDS).unwrap();
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn tls_server_settings_are_checked() {
    let yaml = "tlsserver:\n  deploy: true\n  certfile: \"\"\n  mutualtls: true\n  cacertfile: \"\"\n  notlspaths: [/ping, /admin]\n";
    let mut err = messages(load(&sources(yaml, &[]), KINDS).unwrap_err());
    err.sort();
    assert_eq!(
        err,
        vec![
            "tlsserver.cacertfile: must name the CA of the client certificates (mutualtls is on)",
            "tlsserver.certfile: must name a PEM file",
            "tlsserver.notlspaths[1]: \"/admin\" is not one of /, /ping, /healthz, /ready, /test, /metrics, /k8s-audit",
        ]
    );
    let ok = load(
        &sources(
            "tlsserver:\n  deploy: true\n",
            &[("TLSSERVER_NOTLSPATHS", "/ping,/metrics")],
        ),
        KINDS,
    )
    .unwrap();
    assert!(ok.global.tlsserver.deploy);
    assert_eq!(ok.global.tlsserver.notlspaths, vec!["/ping", "/metrics"]);
}

#[test]
fn output_keys_can_come_from_files_named_in_env() {
    let dir = tempfile::tempdir().unwrap();
    let address = dir.path().join("address");
    std::fs::write(&address, "http://127.0.0.1:9/env-file\n").unwrap();
    let config = load(
        &sources("", &[("WEBHOOK_ADDRESS_FILE", address.to_str().unwrap())]),
        KINDS,
    )
    .unwrap();
    assert_eq!(config.outputs.len(), 1, "{:?}", config.warnings);
    assert_eq!(
        config.outputs[0].settings["address"],
        "http://127.0.0.1:9/env-file"
    );
}

#[test]
fn secrets_can_come_from_files_in_yaml_and_env() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "ingest-t0ken\n").unwrap();
    let header = dir.path().join("address");
    std::fs::write(&header, "http://127.0.0.1:9/from-file").unwrap();
    let yaml = format!("webhook:\n  addressfile: {}\n", header.display());
    let config = load(
        &sources(&yaml, &[("INGEST_TOKEN_FILE", token.to_str().unwrap())]),
        KINDS,
    )
    .unwrap();
    assert_eq!(config.global.ingest.token.expose(), "ingest-t0ken");
    assert_eq!(
        config.outputs[0].settings["address"],
        "http://127.0.0.1:9/from-file"
    );
    // A missing file is a problem with its path; the value is never shown.
    let err = messages(
        load(
            &sources("", &[("INGEST_TOKEN_FILE", "/nonexistent/falconer-token")]),
            KINDS,
        )
        .unwrap_err(),
    );
    assert!(
        err[0].starts_with("ingest.tokenfile: cannot read /nonexistent/falconer-token"),
        "{err:?}"
    );
}

#[test]
fn invalid_yaml_is_one_clear_error() {
    let err = messages(load(&sources("listenport: [", &[]), KINDS).unwrap_err());
    assert!(err[0].starts_with("invalid YAML"), "{err:?}");
}

#[test]
fn empty_and_unrelated_env_vars_are_ignored() {
    let env = [
        ("WEBHOOK_ADDRESS", ""),
        ("LISTENPORT", ""),
        // Kubernetes service links for a Service named `prometheus` or `ingest`.
        ("PROMETHEUS_PORT", "tcp://10.0.0.1:9090"),
        ("INGEST_SERVICE_HOST", "10.0.0.2"),
    ];
    let config = load(&sources(FALCOSIDEKICK_YAML, &env), KINDS).expect("valid config");
    assert_eq!(config.global.listenport, 2801);
    assert_eq!(
        config.outputs[0].settings["address"],
        "http://localhost:9090/"
    );
}

#[test]
fn env_only_unimplemented_outputs_warn() {
    let config = load(
        &Sources {
            yaml: None,
            env: [(
                "SLACK_WEBHOOKURL".to_owned(),
                "https://hooks.slack.com/x".to_owned(),
            )]
            .into(),
        },
        KINDS,
    )
    .unwrap();
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    assert!(config.warnings[0].starts_with("slack:"));
}

#[test]
fn delivery_settings_load_from_file_and_env() {
    let yaml = r#"
datadir: /var/lib/falconer
deadletter:
  maxfiles: 3
webhook:
  address: http://127.0.0.1:9090/
  retry:
    maxattempts: 8
    maxbackoff: 1m
  breaker:
    failures: 2
outputs:
  - name: bulk
    type: webhook
    address: http://127.0.0.1:9091/
    spool:
      enabled: true
      maxbytes: 1048576
    batch:
      maxevents: 500
      linger: 2s
"#;
    let config = load(
        &sources(
            yaml,
            &[
                ("WEBHOOK_RETRY_INITIALBACKOFF", "250ms"),
                ("DEADLETTER_MAXBYTES", "1048576"),
            ],
        ),
        KINDS,
    )
    .unwrap();
    assert_eq!(config.global.datadir, "/var/lib/falconer");
    assert_eq!(config.global.deadletter.maxfiles, 3);
    assert_eq!(config.global.deadletter.maxbytes, 1_048_576);
    let hook = &config.outputs[0].common;
    assert_eq!(hook.retry.maxattempts, Some(8));
    assert_eq!(
        hook.retry.initialbackoff,
        Some(crate::GoDuration(std::time::Duration::from_millis(250)))
    );
    assert_eq!(
        hook.retry.maxbackoff,
        Some(crate::GoDuration::from_secs(60))
    );
    assert_eq!(hook.breaker.failures, 2);
    assert!(!hook.spool.enabled);
    let bulk = &config.outputs[1].common;
    assert!(bulk.spool.enabled);
    assert_eq!(bulk.spool.maxbytes, 1_048_576);
    assert_eq!(bulk.batch.maxevents, Some(500));
    assert_eq!(bulk.batch.linger, Some(crate::GoDuration::from_secs(2)));
}

#[test]
fn delivery_settings_are_validated_with_paths() {
    let yaml = r#"
datadir: ""
deadletter:
  maxbytes: 10
  output: nowhere
outputs:
  - name: a
    type: webhook
    address: http://127.0.0.1:9090/
    retry:
      initialbackoff: 5s
      maxbackoff: 1s
      maxage: 0s
    breaker:
      cooldown: 0s
    batch:
      maxevents: 0
    spool:
      enabled: true
      maxbytes: 100
"#;
    let mut got = messages(load(&sources(yaml, &[]), KINDS).unwrap_err());
    got.sort();
    assert_eq!(
        got,
        vec![
            "datadir: must name a folder (the dead-letter store and spools live there)",
            "deadletter.maxbytes: must be at least 65536",
            "deadletter.output: no output instance is named \"nowhere\"",
            "outputs[0] (a).batch.maxevents: must be between 1 and 100000",
            "outputs[0] (a).breaker.cooldown: must be greater than 0",
            "outputs[0] (a).retry.maxage: must be greater than 0",
            "outputs[0] (a).retry.maxbackoff: must not be shorter than retry.initialbackoff (5s)",
            "outputs[0] (a).spool.maxbytes: must be at least 65536",
        ]
    );
}

#[test]
fn nested_blocks_inherit_the_parent_blocks_shared_keys() {
    const SQS: KindSchema = KindSchema {
        name: "sqs",
        block: "aws.sqs",
        enabled_by: &["url"],
        fields: &["url", "region", "accesskeyid", "secretaccesskey"],
    };
    const LAMBDA: KindSchema = KindSchema {
        name: "lambda",
        block: "aws.lambda",
        enabled_by: &["functionname"],
        fields: &["functionname", "region", "accesskeyid", "secretaccesskey"],
    };
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "from-a-file\n").unwrap();
    let yaml = format!(
        "aws:\n  region: eu-west-1\n  accesskeyid: AKIA1\n  secretaccesskeyfile: {}\n  sqs:\n    url: https://sqs/q\n  lambda:\n    functionname: f\n    region: us-east-1\n",
        secret.display()
    );
    let config = load(&sources(&yaml, &[]), &[SQS, LAMBDA]).unwrap();
    let sqs = &config.outputs[0].settings;
    assert_eq!(sqs["region"], "eu-west-1");
    assert_eq!(sqs["accesskeyid"], "AKIA1");
    assert_eq!(sqs["secretaccesskey"], "from-a-file");
    // A key set in the nested block wins.
    assert_eq!(config.outputs[1].settings["region"], "us-east-1");

    // falcosidekick's env names for the shared keys.
    let config = load(
        &sources(
            "",
            &[
                ("AWS_REGION", "ap-south-1"),
                ("AWS_SQS_URL", "https://sqs/q"),
            ],
        ),
        &[SQS, LAMBDA],
    )
    .unwrap();
    assert_eq!(config.outputs.len(), 1, "{:?}", config.warnings);
    assert_eq!(config.outputs[0].settings["region"], "ap-south-1");
}

#[test]
fn prometheus_series_settings_load_from_file_and_env() {
    let config = load(&sources("", &[]), KINDS).unwrap();
    assert_eq!(config.global.prometheus.maxseries, 5000);
    assert!(config.global.prometheus.k8slabels);

    let yaml = "prometheus:\n  maxseries: 100\n  k8slabels: false\n";
    let config = load(&sources(yaml, &[]), KINDS).unwrap();
    assert_eq!(config.global.prometheus.maxseries, 100);
    assert!(!config.global.prometheus.k8slabels);

    let env = [
        ("PROMETHEUS_MAXSERIES", "20000"),
        ("PROMETHEUS_K8SLABELS", "true"),
    ];
    let config = load(&sources(yaml, &env), KINDS).unwrap();
    assert_eq!(config.global.prometheus.maxseries, 20000);
    assert!(config.global.prometheus.k8slabels);
}

#[test]
fn invalid_prometheus_series_settings_are_errors_with_their_path() {
    let err = messages(load(&sources("prometheus:\n  maxseries: 0\n", &[]), KINDS).unwrap_err());
    assert_eq!(
        err,
        vec!["prometheus.maxseries: must be between 1 and 10000000"]
    );
    for (var, value, path) in [
        ("PROMETHEUS_MAXSERIES", "lots", "prometheus.maxseries: "),
        ("PROMETHEUS_MAXSERIES", "-1", "prometheus.maxseries: "),
        ("PROMETHEUS_K8SLABELS", "maybe", "prometheus.k8slabels: "),
    ] {
        let err = messages(load(&sources("", &[(var, value)]), KINDS).unwrap_err());
        assert_eq!(err.len(), 1, "{err:?}");
        assert!(err[0].starts_with(path), "{var}={value}: {err:?}");
    }
}

#[test]
fn k8saudit_settings_load_from_file_and_env_and_are_checked() {
    let config = load(&sources("", &[]), KINDS).unwrap();
    assert_eq!(config.global.k8saudit, crate::K8sAuditSettings::default());
    assert!(!config.global.k8saudit.enabled);
    assert_eq!(config.global.k8saudit.maxrequestbytes, 12 << 20);
    assert_eq!(config.global.k8saudit.maxeventbytes, 256 << 10);

    let yaml = "k8saudit:\n  enabled: true\n  rulesfiles: [default, /etc/falconer/local.yaml]\n  rulematching: all\n";
    let config = load(&sources(yaml, &[]), KINDS).unwrap();
    assert!(config.global.k8saudit.enabled);
    assert_eq!(
        config.global.k8saudit.rulesfiles,
        ["default", "/etc/falconer/local.yaml"]
    );
    assert_eq!(config.global.k8saudit.rulematching, "all");

    let env = [
        ("K8SAUDIT_ENABLED", "true"),
        ("K8SAUDIT_RULESFILES", "/a.yaml,/b.yaml"),
        ("K8SAUDIT_MAXEVENTBYTES", "1000"),
    ];
    let config = load(&sources("", &env), KINDS).unwrap();
    assert!(config.global.k8saudit.enabled);
    assert_eq!(config.global.k8saudit.rulesfiles, ["/a.yaml", "/b.yaml"]);
    assert_eq!(config.global.k8saudit.maxeventbytes, 1000);

    let yaml = "k8saudit:\n  rulematching: some\n  maxrequestbytes: 0\n  port: 9765\n";
    let err = messages(load(&sources(yaml, &[]), KINDS).unwrap_err());
    assert_eq!(err.len(), 1, "{err:?}");
    assert!(err[0].starts_with("k8saudit"), "{err:?}");
    let err = messages(load(&sources("k8saudit:\n  listenport: 2801\n", &[]), KINDS).unwrap_err());
    assert_eq!(
        err,
        ["k8saudit.listenport: 2801 is already the ingest port or its plain side port"]
    );
    let yaml = "k8saudit:\n  rulematching: some\n  maxrequestbytes: 0\n";
    let err = messages(load(&sources(yaml, &[]), KINDS).unwrap_err());
    assert_eq!(
        err,
        [
            "k8saudit.rulematching: must be first or all, not \"some\"",
            "k8saudit.maxrequestbytes: must be greater than 0"
        ]
    );
}

#[test]
fn a_kinds_own_queue_key_is_not_the_delivery_queue() {
    // falcosidekick's two RabbitMQ keys, as its users write them.
    let yaml = "rabbitmq:\n  url: amqp://guest:guest@localhost:5672/\n  queue: falco\n";
    let config = load(&sources(yaml, &[]), KINDS).unwrap();
    assert_eq!(config.outputs[0].settings["queue"], "falco");
    assert_eq!(
        config.outputs[0].common.queue,
        crate::QueueSettings::default()
    );
    // The same from the environment.
    let env = [
        ("RABBITMQ_URL", "amqp://guest:guest@localhost:5672/"),
        ("RABBITMQ_QUEUE", "falco"),
    ];
    let config = load(&sources("", &env), KINDS).unwrap();
    assert_eq!(config.outputs[0].settings["queue"], "falco");
    // A map is still the output's queue; `deliveryqueue` names it beside the kind's key.
    let yaml = r#"
outputs:
  - name: a
    type: rabbitmq
    url: amqp://localhost/
    queue: { capacity: 10 }
  - name: b
    type: rabbitmq
    url: amqp://localhost/
    queue: falco
    deliveryqueue: { capacity: 20, overflow: reject }
"#;
    let config = load(&sources(yaml, &[]), KINDS).unwrap();
    assert_eq!(config.outputs[0].common.queue.capacity, 10);
    assert!(config.outputs[0].settings.get("queue").is_none());
    assert_eq!(config.outputs[1].settings["queue"], "falco");
    assert_eq!(config.outputs[1].common.queue.capacity, 20);
    assert_eq!(
        config.outputs[1].common.queue.overflow,
        OverflowPolicy::Reject
    );
    let env = [
        ("RABBITMQ_URL", "amqp://localhost/"),
        ("RABBITMQ_QUEUE", "falco"),
        ("RABBITMQ_DELIVERYQUEUE_CAPACITY", "30"),
    ];
    let config = load(&sources("", &env), KINDS).unwrap();
    assert_eq!(config.outputs[0].settings["queue"], "falco");
    assert_eq!(config.outputs[0].common.queue.capacity, 30);
    // Both names at once is a mistake, reported with its path.
    let yaml = "outputs:\n  - {name: c, type: webhook, address: http://a/, queue: {capacity: 1}, deliveryqueue: {capacity: 2}}\n";
    let errs = messages(load(&sources(yaml, &[]), KINDS).unwrap_err());
    assert!(
        errs.iter()
            .any(|e| e.starts_with("outputs[0] (c).") && e.contains("a second time")),
        "{errs:?}"
    );
}

#[test]
fn a_singleton_blocks_own_name_and_type_keys_reach_the_kind() {
    // falcosidekick's `gcp.cloudfunctions.name`, `sumologic.name`, `elasticsearch.type`.
    const FUNCTIONS: KindSchema = KindSchema {
        name: "gcpcloudfunctions",
        block: "gcp.cloudfunctions",
        enabled_by: &["name"],
        fields: &["name", "credentials"],
    };
    const SEARCH: KindSchema = KindSchema {
        name: "elasticsearch",
        block: "elasticsearch",
        enabled_by: &["hostport"],
        fields: &["hostport", "type"],
    };
    let kinds = [FUNCTIONS, SEARCH, WEBHOOK];
    let yaml = "gcp:\n  cloudfunctions:\n    name: projects/p/locations/l/functions/f\nelasticsearch:\n  hostport: http://es:9200\n  type: _doc\n";
    let config = load(&sources(yaml, &[]), &kinds).unwrap();
    assert_eq!(config.outputs[0].name, "gcpcloudfunctions");
    assert_eq!(
        config.outputs[0].settings["name"],
        "projects/p/locations/l/functions/f"
    );
    assert_eq!(config.outputs[1].settings["type"], "_doc");
    let env = [
        (
            "GCP_CLOUDFUNCTIONS_NAME",
            "projects/p/locations/l/functions/f",
        ),
        ("ELASTICSEARCH_HOSTPORT", "http://es:9200"),
        ("ELASTICSEARCH_TYPE", "_doc"),
    ];
    let config = load(&sources("", &env), &kinds).unwrap();
    assert_eq!(
        config.outputs[0].settings["name"],
        "projects/p/locations/l/functions/f"
    );
    assert_eq!(config.outputs[1].settings["type"], "_doc");
    // In an `outputs:` entry they still name the instance and its kind.
    let yaml = "outputs:\n  - name: hook\n    type: webhook\n    address: http://x/\n";
    let config = load(&sources(yaml, &[]), &kinds).unwrap();
    assert_eq!(config.outputs[0].name, "hook");
    assert!(config.outputs[0].settings.get("name").is_none());
    assert!(config.outputs[0].settings.get("type").is_none());
}

#[test]
fn keys_are_read_whatever_their_case_as_falcosidekick_reads_them() {
    // falcosidekick's own docs write `customHeaders:` and `minimumPriority:`.
    let yaml = "webhook:\n  address: http://x/\n  customHeaders:\n    Authorization: Bearer t\n  minimumPriority: warning\n  checkCert: false\n";
    let config = load(&sources(yaml, &[]), KINDS).unwrap();
    let settings = &config.outputs[0].settings;
    assert_eq!(
        settings["customheaders"]["Authorization"], "Bearer t",
        "map keys keep their case"
    );
    assert_eq!(settings["checkcert"], false);
    assert_eq!(config.outputs[0].common.minimumpriority, "warning");
    // An unknown key keeps its spelling, for the error that names it.
    let yaml = "webhook:\n  address: http://x/\n  Bogus: 1\n";
    let config = load(&sources(yaml, &[]), KINDS).unwrap();
    assert!(config.outputs[0].settings.get("Bogus").is_some());
}
