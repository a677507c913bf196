//! Yandex Cloud's S3- and Kinesis-compatible services, falcosidekick's `yandex.*` blocks:
//! [`s3`] (Object Storage) puts each alert's payload JSON as an object under falcosidekick's
//! key layout, [`datastreams`] (Data Streams) writes it as a record. Both sign with the
//! service account's static keys (`yandex.accesskeyid`, `yandex.secretaccesskey`) in
//! `yandex.region`, and deliver through the S3 and Kinesis outputs of this family: retries,
//! batching of records and per-record failures are theirs. Differences from falcosidekick:
//! records are batched in `PutRecords` (falcosidekick calls `PutRecord` per alert) with the
//! alert UUID as partition key (falcosidekick draws a random UUID per call), and missing keys
//! are refused at `check` instead of failing every request.

mod settings;

#[cfg(feature = "yandexdatastreams")]
pub mod datastreams;
#[cfg(feature = "yandexs3")]
pub mod s3;

pub use settings::YandexSettings;
