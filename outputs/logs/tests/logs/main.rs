//! The log-store kinds through the real delivery core (the recording sink, or a real InfluxDB
//! started by the testkit): one module per kind (one test binary for the family).

mod conformance;
#[cfg(feature = "datadoglogs")]
mod datadoglogs;
#[cfg(feature = "dynatrace")]
mod dynatrace;
#[cfg(feature = "elasticsearch")]
mod elasticsearch;
#[cfg(feature = "influxdb")]
mod influxdb;
#[cfg(feature = "kafkarest")]
mod kafkarest;
#[cfg(feature = "loki")]
mod loki;
#[cfg(feature = "openobserve")]
mod openobserve;
#[cfg(feature = "quickwit")]
mod quickwit;
mod recipe;
#[cfg(feature = "splunk")]
mod splunk;
#[cfg(feature = "spyderbat")]
mod spyderbat;
#[cfg(feature = "sumologic")]
mod sumologic;
#[cfg(feature = "zincsearch")]
mod zincsearch;

/// The settings of the singleton block of `kind` loaded from `env` alone, checked to prepare.
#[allow(dead_code)]
fn from_env(kind: falconer_core::OutputKind, env: &[(&str, &str)]) -> serde_json::Value {
    let sources = falconer_config::Sources {
        yaml: None,
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    let config = falconer_config::load(&sources, &[kind.schema()]).expect("loads");
    assert_eq!(config.outputs.len(), 1, "the env enables the block");
    assert!(kind.prepare(&config.outputs[0]).is_ok(), "valid");
    config.outputs[0].settings.clone()
}
