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

#[allow(unused_imports)]
pub use falconer_http::contract::from_env;
