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
    registry
}
