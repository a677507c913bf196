//! Delivery: one Parquet object of OCSF findings per batch.

use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ObjectCannedAcl;
use chrono::{DateTime, Utc};
use falconer_core::{Alert, Output, SendError};

use super::ocsf::Finding;
use super::parquet_file::parquet_file;
use crate::common::classify;

/// falcosidekick's content type of the objects.
const CONTENT_TYPE: &str = "Apache Parquet";

/// A running Security Lake instance.
#[derive(Debug)]
pub(crate) struct SecurityLake {
    pub(crate) client: aws_sdk_s3::Client,
    pub(crate) bucket: String,
    /// Without leading or trailing `/`.
    pub(crate) prefix: String,
    pub(crate) region: String,
    pub(crate) account: String,
}

impl SecurityLake {
    /// `<prefix>/region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/<uuid>.parquet`.
    fn object_key(&self, now: &DateTime<Utc>, uid: &uuid::Uuid) -> String {
        format!(
            "{}/region={}/accountId={}/eventDay={}/{uid}.parquet",
            self.prefix,
            self.region,
            self.account,
            now.format("%Y%m%d")
        )
    }
}

#[async_trait::async_trait]
impl Output for SecurityLake {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let findings: Vec<Finding> = batch.iter().map(|a| Finding::of(a)).collect();
        let body = parquet_file(&findings).map_err(|e| SendError::Encode(Box::new(e)))?;
        let key = self.object_key(&Utc::now(), &uuid::Uuid::new_v4());
        let bytes = body.len();
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type(CONTENT_TYPE)
            .acl(ObjectCannedAcl::BucketOwnerFullControl)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(classify)?;
        tracing::debug!(
            key,
            alerts = batch.len(),
            bytes,
            "Security Lake object written"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn keys_follow_security_lakes_partitions() {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .build();
        let lake = SecurityLake {
            client: aws_sdk_s3::Client::from_conf(config),
            bucket: "b".into(),
            prefix: "ext/falco".into(),
            region: "eu-west-1".into(),
            account: "123456789012".into(),
        };
        let now = Utc
            .with_ymd_and_hms(2024, 5, 4, 23, 59, 59)
            .single()
            .expect("a valid time");
        let uid = uuid::Uuid::nil();
        assert_eq!(
            lake.object_key(&now, &uid),
            "ext/falco/region=eu-west-1/accountId=123456789012/eventDay=20240504/00000000-0000-0000-0000-000000000000.parquet"
        );
    }
}
