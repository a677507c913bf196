//! falcosidekick's top-level vocabulary: global keys and every output block with the keys
//! that enable it. Used to accept a falcosidekick `config.yaml` as is, and to warn about
//! blocks of kinds Falconer does not implement yet instead of silently ignoring them.

/// Top-level keys that are settings, not output blocks.
pub const GLOBAL_KEYS: &[&str] = &[
    "listenaddress",
    "listenport",
    "debug",
    "customfields",
    "customtags",
    "templatedfields",
    "bracketreplacer",
    "outputfieldformat",
    "mutualtlsfilespath",
    "mutualtlsclient",
    "tlsclient",
    "tlsserver",
    "prometheus",
    "ingest",
    "shutdown",
    "datadir",
    "deadletter",
    "ui",
    "routes",
    "defaultroute",
    "silences",
    "k8saudit",
    "reload",
];

/// Global keys whose env variable has one more level (`MUTUALTLSCLIENT_CERTFILE`).
pub const NESTED_GLOBAL_KEYS: &[&str] = &[
    "mutualtlsclient",
    "tlsclient",
    "tlsserver",
    "prometheus",
    "ingest",
    "shutdown",
    "datadir",
    "deadletter",
    "ui",
    "k8saudit",
    "reload",
];

/// Every falcosidekick output block (`aws.sqs` style paths) and the keys that must all be
/// non-empty for falcosidekick to enable it.
pub const OUTPUT_BLOCKS: &[(&str, &[&str])] = &[
    ("slack", &["webhookurl"]),
    ("rocketchat", &["webhookurl"]),
    ("mattermost", &["webhookurl"]),
    ("teams", &["webhookurl"]),
    ("webex", &["webhookurl"]),
    ("cliq", &["webhookurl"]),
    ("googlechat", &["webhookurl"]),
    ("discord", &["webhookurl"]),
    ("telegram", &["token", "chatid"]),
    ("datadog", &["apikey"]),
    ("datadoglogs", &["apikey"]),
    ("alertmanager", &["hostport"]),
    ("elasticsearch", &["hostport"]),
    ("quickwit", &["hostport"]),
    ("influxdb", &["hostport"]),
    ("loki", &["hostport"]),
    ("sumologic", &["receiverurl"]),
    ("nats", &["hostport"]),
    ("stan", &["hostport", "clusterid", "clientid"]),
    ("aws.lambda", &["functionname"]),
    ("aws.sqs", &["url"]),
    ("aws.sns", &["topicarn"]),
    ("aws.cloudwatchlogs", &["loggroup"]),
    ("aws.s3", &["bucket"]),
    ("aws.kinesis", &["streamname"]),
    ("aws.securitylake", &["bucket"]),
    ("smtp", &["hostport", "from", "to"]),
    ("opsgenie", &["apikey"]),
    ("webhook", &["address"]),
    ("nodered", &["address"]),
    ("cloudevents", &["address"]),
    ("azure.eventhub", &["name"]),
    ("gcp.pubsub", &["projectid", "topic"]),
    ("gcp.storage", &["bucket"]),
    ("gcp.cloudfunctions", &["name"]),
    ("gcp.cloudrun", &["endpoint"]),
    ("gcp.chronicle", &["projectid"]),
    ("kafka", &["hostport", "topic"]),
    ("kafkarest", &["address"]),
    ("pagerduty", &["routingkey"]),
    ("kubeless", &["function"]),
    ("openfaas", &["functionname"]),
    ("fission", &["function"]),
    ("tekton", &["eventlistener"]),
    ("webui", &["url"]),
    ("policyreport", &["enabled"]),
    ("rabbitmq", &["url", "queue"]),
    ("wavefront", &["endpointhost"]),
    ("grafana", &["hostport", "apikey"]),
    ("grafanaoncall", &["webhookurl"]),
    ("yandex.s3", &["bucket"]),
    ("yandex.datastreams", &["streamname"]),
    ("syslog", &["host"]),
    ("mqtt", &["broker"]),
    ("zincsearch", &["hostport"]),
    ("gotify", &["hostport"]),
    ("spyderbat", &["orguid"]),
    ("timescaledb", &["host"]),
    ("redis", &["address"]),
    ("logstash", &["address"]),
    ("n8n", &["address"]),
    ("openobserve", &["hostport"]),
    ("dynatrace", &["apitoken", "apiurl"]),
    ("otlp.traces", &["endpoint"]),
    ("otlp.logs", &["endpoint"]),
    ("otlp.metrics", &["endpoint"]),
    ("talon", &["address"]),
    ("splunk", &["host"]),
    ("statsd", &["forwarder"]),
    ("dogstatsd", &["forwarder"]),
];

/// falcosidekick outputs Falconer refuses, with the reason and what to use instead: a
/// configured block (or a `type:` in `outputs:`) is a config problem, not a warning.
pub const REFUSED_OUTPUTS: &[(&str, &str)] = &[(
    "stan",
    "NATS Streaming (STAN) is end-of-life upstream and has no maintained client, so Falconer \
     does not implement it: use the `nats` output with `jetstream: true` (JetStream replaces \
     NATS Streaming, with acknowledged, persisted messages)",
)];

/// Why Falconer refuses the falcosidekick output at `path`, if it does.
pub fn refused(path: &str) -> Option<&'static str> {
    REFUSED_OUTPUTS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, why)| *why)
}

/// The first segment of every block path (`aws`, `gcp`, `slack`, …).
pub fn is_block_root(key: &str) -> bool {
    OUTPUT_BLOCKS
        .iter()
        .any(|(path, _)| path.split('.').next() == Some(key))
}
