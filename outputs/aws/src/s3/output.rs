//! Delivery: one `PutObject` per alert, or per batch with `ndjson`.

use std::sync::Arc;

use crate::common::classify;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ObjectCannedAcl};
use falconer_core::{Alert, Output, SendError};

use super::encode::{ndjson, object_key};

/// A running S3 instance.
#[derive(Debug)]
pub(crate) struct S3 {
    pub(crate) client: aws_sdk_s3::Client,
    pub(crate) bucket: String,
    pub(crate) prefix: String,
    pub(crate) acl: Option<ObjectCannedAcl>,
    pub(crate) ndjson: bool,
    /// Send a CRC32 checksum of each object (AWS; S3-compatible stores may not know it).
    pub(crate) checksum: bool,
}

impl S3 {
    async fn put(&self, key: String, body: Vec<u8>, content_type: &str) -> Result<(), SendError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .set_acl(self.acl.clone())
            .set_checksum_algorithm(self.checksum.then_some(ChecksumAlgorithm::Crc32))
            .body(ByteStream::from(body))
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

#[async_trait::async_trait]
impl Output for S3 {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        if self.ndjson {
            let key = object_key(&self.prefix, &chrono::Utc::now(), "ndjson");
            let body = ndjson(batch.iter().map(|a| a.to_json()));
            return self.put(key, body, "application/x-ndjson").await;
        }
        for alert in batch {
            let key = object_key(&self.prefix, &chrono::Utc::now(), "json");
            self.put(key, alert.to_json().to_vec(), "application/json")
                .await?;
        }
        Ok(())
    }
}
