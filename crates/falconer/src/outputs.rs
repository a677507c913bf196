//! The binary's output kinds: the kinds that stand alone (`outputs/<kind>`) are inserted
//! here, and each family crate (`outputs/<family>`) registers the kinds its Cargo features
//! enable (the binary's `output-<kind>` features map to them).

use falconer_core::{OutputKind, Registry};

/// Every output kind compiled into this binary, in [`ORDER`].
pub fn builtin() -> Registry {
    #[allow(unused_mut)]
    let mut registry = Registry::default();
    #[cfg(feature = "output-webhook")]
    registry.insert(falconer_output_webhook::KIND);
    #[cfg(feature = "output-stdout")]
    registry.insert(falconer_output_stdout::KIND);
    #[cfg(feature = "output-null")]
    registry.insert(falconer_output_null::KIND);
    #[cfg(feature = "output-smtp")]
    registry.insert(falconer_output_smtp::KIND);
    #[cfg(feature = "output-webui")]
    registry.insert(falconer_output_webui::KIND);
    #[cfg(feature = "output-timescaledb")]
    registry.insert(falconer_output_timescaledb::KIND);
    #[cfg(feature = "family-chat")]
    falconer_outputs_chat::register(&mut registry);
    #[cfg(feature = "family-incident")]
    falconer_outputs_incident::register(&mut registry);
    #[cfg(feature = "family-logs")]
    falconer_outputs_logs::register(&mut registry);
    #[cfg(feature = "family-aws")]
    falconer_outputs_aws::register(&mut registry);
    #[cfg(feature = "family-bus")]
    falconer_outputs_bus::register(&mut registry);
    #[cfg(feature = "family-hooks")]
    falconer_outputs_hooks::register(&mut registry);
    #[cfg(feature = "family-stream")]
    falconer_outputs_stream::register(&mut registry);
    #[cfg(feature = "family-gcp")]
    falconer_outputs_gcp::register(&mut registry);
    #[cfg(feature = "family-otlp")]
    falconer_outputs_otlp::register(&mut registry);
    #[cfg(feature = "family-azure")]
    falconer_outputs_azure::register(&mut registry);
    #[cfg(feature = "family-kubernetes")]
    falconer_outputs_kubernetes::register(&mut registry);
    in_order(registry)
}

/// The order of the kinds before they were grouped into family crates. The registry's order
/// is the order of the outputs enabled by config blocks (`falconer check`, the "Enabled
/// Outputs" log line) and of the kinds an unknown `type` is told about, so it is kept; kinds
/// not named here follow in registration order.
const ORDER: &[&str] = &[
    "webhook",
    "stdout",
    "null",
    "smtp",
    "loki",
    "elasticsearch",
    "influxdb",
    "splunk",
    "syslog",
    "quickwit",
    "openobserve",
    "zincsearch",
    "sumologic",
    "datadoglogs",
    "dynatrace",
    "nats",
    "redis",
    "kafka",
    "webui",
    "sqs",
    "lambda",
    "sns",
    "cloudwatchlogs",
    "s3",
    "kinesis",
    "mqtt",
    "rabbitmq",
    "timescaledb",
    "alertmanager",
    "opsgenie",
    "pagerduty",
    "datadog",
    "grafana",
    "grafanaoncall",
    "slack",
    "mattermost",
    "rocketchat",
    "googlechat",
    "discord",
    "teams",
    "webex",
    "telegram",
    "talon",
    "n8n",
    "nodered",
    "tekton",
    "openfaas",
    "fission",
    "kubeless",
    "cloudevents",
    "cliq",
    "gotify",
    "kafkarest",
    "spyderbat",
    "yandexs3",
    "yandexdatastreams",
    "logstash",
    "wavefront",
    "gcppubsub",
    "gcpstorage",
    "gcpcloudfunctions",
    "gcpcloudrun",
    "gcpchronicle",
    "otlptraces",
    "otlplogs",
    "otlpmetrics",
    "statsd",
    "dogstatsd",
    "azureeventhub",
    "securitylake",
    "policyreport",
];

/// `registry` sorted by [`ORDER`] (a stable sort: unnamed kinds keep their order, last).
fn in_order(registry: Registry) -> Registry {
    let mut kinds: Vec<OutputKind> = registry.kinds().to_vec();
    kinds.sort_by_key(|k| {
        ORDER
            .iter()
            .position(|n| *n == k.name)
            .unwrap_or(ORDER.len())
    });
    let mut sorted = Registry::default();
    for kind in kinds {
        sorted.insert(kind);
    }
    sorted
}

#[cfg(test)]
mod tests {
    /// With every output feature (the default build), the registry lists every kind once,
    /// in the order it always had.
    #[cfg(all(
        feature = "output-slack",
        feature = "output-telegram",
        feature = "output-webhook"
    ))]
    #[test]
    fn the_default_build_registers_every_kind_in_order() {
        let names: Vec<&str> = super::builtin().kinds().iter().map(|k| k.name).collect();
        assert_eq!(names, super::ORDER);
    }
}

#[cfg(test)]
#[path = "every_key_tests.rs"]
mod every_key_tests;
