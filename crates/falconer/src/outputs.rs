//! The one file outside `outputs/` that names output kinds: one line per kind, each behind
//! its Cargo feature.

use falconer_core::Registry;

/// Every output kind compiled into this binary.
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
    #[cfg(feature = "output-loki")]
    registry.insert(falconer_output_loki::KIND);
    #[cfg(feature = "output-elasticsearch")]
    registry.insert(falconer_output_elasticsearch::KIND);
    #[cfg(feature = "output-influxdb")]
    registry.insert(falconer_output_influxdb::KIND);
    #[cfg(feature = "output-splunk")]
    registry.insert(falconer_output_splunk::KIND);
    #[cfg(feature = "output-syslog")]
    registry.insert(falconer_output_syslog::KIND);
    #[cfg(feature = "output-quickwit")]
    registry.insert(falconer_output_quickwit::KIND);
    #[cfg(feature = "output-openobserve")]
    registry.insert(falconer_output_openobserve::KIND);
    #[cfg(feature = "output-zincsearch")]
    registry.insert(falconer_output_zincsearch::KIND);
    #[cfg(feature = "output-sumologic")]
    registry.insert(falconer_output_sumologic::KIND);
    #[cfg(feature = "output-datadoglogs")]
    registry.insert(falconer_output_datadoglogs::KIND);
    #[cfg(feature = "output-dynatrace")]
    registry.insert(falconer_output_dynatrace::KIND);
    #[cfg(feature = "output-nats")]
    registry.insert(falconer_output_nats::KIND);
    #[cfg(feature = "output-redis")]
    registry.insert(falconer_output_redis::KIND);
    #[cfg(feature = "output-kafka")]
    registry.insert(falconer_output_kafka::KIND);
    #[cfg(feature = "output-webui")]
    registry.insert(falconer_output_webui::KIND);
    #[cfg(feature = "output-sqs")]
    registry.insert(falconer_output_sqs::KIND);
    #[cfg(feature = "output-lambda")]
    registry.insert(falconer_output_lambda::KIND);
    #[cfg(feature = "output-sns")]
    registry.insert(falconer_output_sns::KIND);
    #[cfg(feature = "output-cloudwatchlogs")]
    registry.insert(falconer_output_cloudwatchlogs::KIND);
    #[cfg(feature = "output-s3")]
    registry.insert(falconer_output_s3::KIND);
    #[cfg(feature = "output-kinesis")]
    registry.insert(falconer_output_kinesis::KIND);
    #[cfg(feature = "output-mqtt")]
    registry.insert(falconer_output_mqtt::KIND);
    #[cfg(feature = "output-rabbitmq")]
    registry.insert(falconer_output_rabbitmq::KIND);
    #[cfg(feature = "output-timescaledb")]
    registry.insert(falconer_output_timescaledb::KIND);
    #[cfg(feature = "output-alertmanager")]
    registry.insert(falconer_output_alertmanager::KIND);
    #[cfg(feature = "output-opsgenie")]
    registry.insert(falconer_output_opsgenie::KIND);
    #[cfg(feature = "output-pagerduty")]
    registry.insert(falconer_output_pagerduty::KIND);
    #[cfg(feature = "output-datadog")]
    registry.insert(falconer_output_datadog::KIND);
    #[cfg(feature = "output-grafana")]
    registry.insert(falconer_output_grafana::KIND);
    #[cfg(feature = "output-grafanaoncall")]
    registry.insert(falconer_output_grafanaoncall::KIND);
    #[cfg(feature = "output-slack")]
    registry.insert(falconer_output_slack::KIND);
    #[cfg(feature = "output-mattermost")]
    registry.insert(falconer_output_mattermost::KIND);
    #[cfg(feature = "output-rocketchat")]
    registry.insert(falconer_output_rocketchat::KIND);
    #[cfg(feature = "output-googlechat")]
    registry.insert(falconer_output_googlechat::KIND);
    #[cfg(feature = "output-discord")]
    registry.insert(falconer_output_discord::KIND);
    #[cfg(feature = "output-teams")]
    registry.insert(falconer_output_teams::KIND);
    #[cfg(feature = "output-webex")]
    registry.insert(falconer_output_webex::KIND);
    #[cfg(feature = "output-telegram")]
    registry.insert(falconer_output_telegram::KIND);
    registry
}
