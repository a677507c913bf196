//! The log-store outputs, one module and one Cargo feature per kind:
//! - [`loki`]: batched, gzipped push API requests with falcosidekick's labels and a label
//!   allow-list;
//! - [`elasticsearch`]: Elasticsearch/OpenSearch `_bulk` batches (gzip optional) with
//!   per-item results, index templates, falcosidekick documents;
//! - [`splunk`]: batched HTTP Event Collector requests with token auth, index, sourcetype,
//!   source and event time;
//! - [`influxdb`]: batched line protocol (v1 `/write` or v2 `/api/v2/write`), escaped,
//!   timestamped from the alert;
//!
//! and the light HTTP stores, whose body for one alert is falcosidekick's:
//! - [`quickwit`]: batched NDJSON ingest requests, optional index creation at startup;
//! - [`openobserve`]: batched multi-record (NDJSON) ingest requests with basic auth;
//! - [`zincsearch`]: the `_doc` request for one alert, batched `_multi` (NDJSON) requests for
//!   more, with basic auth;
//! - [`sumologic`]: batched newline-delimited payload JSON to an HTTP source, with the
//!   `X-Sumo-*` headers;
//! - [`datadoglogs`]: batched log intake (v2) requests with `DD-API-KEY`;
//! - [`dynatrace`]: batched log ingest (v2) arrays with Api-Token auth;
//! - [`kafkarest`]: batched Kafka REST Proxy produce requests (base64 binary records), each
//!   record's error read from the answer;
//! - [`spyderbat`]: batched, gzipped NDJSON `falco_alert` records with Bearer auth, the
//!   source created on first use.
//!
//! What they share (NDJSON bodies, URL and header checks, regional endpoints, the client) is
//! the HTTP-output kit of `falconer-http`. [`register`] adds the kinds this build enables.

#[cfg(feature = "datadoglogs")]
pub mod datadoglogs;
#[cfg(feature = "dynatrace")]
pub mod dynatrace;
#[cfg(feature = "elasticsearch")]
pub mod elasticsearch;
#[cfg(feature = "influxdb")]
pub mod influxdb;
#[cfg(feature = "kafkarest")]
pub mod kafkarest;
#[cfg(feature = "loki")]
pub mod loki;
#[cfg(feature = "openobserve")]
pub mod openobserve;
#[cfg(feature = "quickwit")]
pub mod quickwit;
#[cfg(feature = "splunk")]
pub mod splunk;
#[cfg(feature = "spyderbat")]
pub mod spyderbat;
#[cfg(feature = "sumologic")]
pub mod sumologic;
#[cfg(feature = "zincsearch")]
pub mod zincsearch;

/// Adds the log-store kinds enabled by this crate's features to `registry`.
pub fn register(registry: &mut falconer_core::Registry) {
    // Without any kind feature there is nothing to add.
    let _ = &registry;
    #[cfg(feature = "loki")]
    registry.insert(loki::KIND);
    #[cfg(feature = "elasticsearch")]
    registry.insert(elasticsearch::KIND);
    #[cfg(feature = "influxdb")]
    registry.insert(influxdb::KIND);
    #[cfg(feature = "splunk")]
    registry.insert(splunk::KIND);
    #[cfg(feature = "quickwit")]
    registry.insert(quickwit::KIND);
    #[cfg(feature = "openobserve")]
    registry.insert(openobserve::KIND);
    #[cfg(feature = "zincsearch")]
    registry.insert(zincsearch::KIND);
    #[cfg(feature = "sumologic")]
    registry.insert(sumologic::KIND);
    #[cfg(feature = "datadoglogs")]
    registry.insert(datadoglogs::KIND);
    #[cfg(feature = "dynatrace")]
    registry.insert(dynatrace::KIND);
    #[cfg(feature = "kafkarest")]
    registry.insert(kafkarest::KIND);
    #[cfg(feature = "spyderbat")]
    registry.insert(spyderbat::KIND);
}
