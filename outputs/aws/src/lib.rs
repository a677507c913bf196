//! The AWS outputs, falcosidekick's `aws.*` blocks, one module and one Cargo feature per kind
//! (each kind's SDK crate is compiled only with its feature):
//! - [`sqs`]: the alert payloads sent with `SendMessageBatch` (FIFO queues and message
//!   attributes supported);
//! - [`lambda`]: each alert's payload JSON invokes a function; a function error is a failed
//!   delivery;
//! - [`sns`]: the alert published to a topic, as its output text with falcosidekick's message
//!   attributes or as raw JSON;
//! - [`cloudwatchlogs`]: the alert payloads as log events, batched in `PutLogEvents`, the
//!   stream created when missing;
//! - [`s3`]: one JSON object per alert under falcosidekick's key layout, or one NDJSON object
//!   per batch;
//! - [`kinesis`]: the alert payloads as records, batched in `PutRecords`, partition key the
//!   alert UUID or a template;
//! - [`securitylake`]: OCSF Security Finding records, one Parquet object per batch, in an
//!   AWS Security Lake custom source's bucket;
//! - [`yandex`]: Yandex Cloud's Object Storage (`yandexs3`) and Data Streams
//!   (`yandexdatastreams`) through the S3 and Kinesis outputs.
//!
//! [`common`] holds what they share: credentials, region, assumed role, identity check,
//! endpoint override, SDK error classification. [`register`] adds the kinds this build
//! enables.

pub mod common;

#[cfg(feature = "cloudwatchlogs")]
pub mod cloudwatchlogs;
#[cfg(any(feature = "kinesis", feature = "yandexdatastreams"))]
pub mod kinesis;
#[cfg(feature = "lambda")]
pub mod lambda;
#[cfg(any(feature = "s3", feature = "yandexs3"))]
pub mod s3;
#[cfg(feature = "securitylake")]
pub mod securitylake;
#[cfg(feature = "sns")]
pub mod sns;
#[cfg(feature = "sqs")]
pub mod sqs;
#[cfg(any(feature = "yandexs3", feature = "yandexdatastreams"))]
pub mod yandex;

/// Adds the AWS kinds enabled by this crate's features to `registry`.
pub fn register(registry: &mut falconer_core::Registry) {
    // Without any kind feature there is nothing to add.
    let _ = &registry;
    #[cfg(feature = "sqs")]
    registry.insert(sqs::KIND);
    #[cfg(feature = "lambda")]
    registry.insert(lambda::KIND);
    #[cfg(feature = "sns")]
    registry.insert(sns::KIND);
    #[cfg(feature = "cloudwatchlogs")]
    registry.insert(cloudwatchlogs::KIND);
    #[cfg(feature = "s3")]
    registry.insert(s3::KIND);
    #[cfg(feature = "kinesis")]
    registry.insert(kinesis::KIND);
    #[cfg(feature = "yandexs3")]
    registry.insert(yandex::s3::KIND);
    #[cfg(feature = "yandexdatastreams")]
    registry.insert(yandex::datastreams::KIND);
    #[cfg(feature = "securitylake")]
    registry.insert(securitylake::KIND);
}
