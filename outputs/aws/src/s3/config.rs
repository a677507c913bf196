//! The `aws.s3` block.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::types::ObjectCannedAcl;
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};

use super::output::S3;

crate::common::aws_output_config! {
    /// Configuration of one S3 instance. `endpoint` (S3-compatible stores) also switches to
    /// path-style addressing.
    pub struct S3Config {
        /// The bucket.
        pub bucket: String,
        /// Key prefix (default `falco`).
        #[serde(default = "default_prefix")]
        pub prefix: String,
        /// Canned ACL of the objects (default `bucket-owner-full-control`; empty: none).
        #[serde(default = "default_acl")]
        pub objectcannedacl: String,
        /// One NDJSON object per batch instead of one object per alert (default false).
        #[serde(default)]
        pub ndjson: bool,
    }
}

fn default_prefix() -> String {
    "falco".into()
}

fn default_acl() -> String {
    "bucket-owner-full-control".into()
}

/// NDJSON: alerts per object at most, by default.
const NDJSON_MAX_EVENTS: usize = 1000;
/// NDJSON: bytes per object at most, by default.
const NDJSON_MAX_BYTES: usize = 64 << 20;
/// NDJSON: how long an object collects alerts, by default.
const NDJSON_LINGER: Duration = Duration::from_secs(60);

impl S3Config {
    fn acl(&self) -> Result<Option<ObjectCannedAcl>, String> {
        match self.objectcannedacl.trim() {
            "" => Ok(None),
            s if ObjectCannedAcl::values().contains(&s) => Ok(Some(ObjectCannedAcl::from(s))),
            s => Err(format!("{s:?} is not a canned ACL")),
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for S3Config {
    const KIND: &'static str = "s3";
    const BLOCK: &'static str = "aws.s3";
    const ENABLED_BY: &'static [&'static str] = &["bucket"];
    const DESTINATION: &'static str = "awss3";

    fn delivery_defaults(&self) -> DeliveryDefaults {
        if self.ndjson {
            DeliveryDefaults::batching(NDJSON_MAX_EVENTS, NDJSON_MAX_BYTES, NDJSON_LINGER)
        } else {
            DeliveryDefaults::REALTIME
        }
    }

    fn validate(&self, problems: &mut falconer_core::Problems) {
        self.aws().validate(problems);
        if self.bucket.trim().is_empty() {
            problems.push("bucket", "must not be empty");
        }
        if let Err(e) = self.acl() {
            problems.push("objectcannedacl", e);
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let aws = self.aws();
        let sdk = crate::common::sdk_config(&aws, &cx).await?;
        let mut config = aws_sdk_s3::config::Builder::from(&sdk);
        if !aws.endpoint.is_empty() {
            config = config.force_path_style(true);
        }
        let acl = self.acl().map_err(|e| BuildError::new(&cx.path, e))?;
        Ok(Arc::new(S3 {
            client: aws_sdk_s3::Client::from_conf(config.build()),
            bucket: self.bucket.trim().to_owned(),
            prefix: self.prefix,
            acl,
            ndjson: self.ndjson,
            checksum: true,
        }))
    }
}
