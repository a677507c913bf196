//! The `aws.securitylake` block.

use std::sync::Arc;
use std::time::Duration;

use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};

use super::output::SecurityLake;

crate::common::aws_output_config! {
    /// Configuration of one Security Lake custom source. `region` is both the SDK's region
    /// and the `region=` part of the object keys (falcosidekick's `aws.securitylake.region`).
    pub struct SecurityLakeConfig {
        /// The custom source's S3 bucket.
        pub bucket: String,
        /// Key prefix: the custom source's location in the bucket (`ext/<source name>`).
        #[serde(default)]
        pub prefix: String,
        /// The AWS account id of the custom source (the `accountId=` part of the keys).
        #[serde(default)]
        pub accountid: String,
        /// Minutes a batch collects alerts at most (falcosidekick's upload interval; 5 to 60,
        /// default 5; out-of-range values are clamped, as falcosidekick does).
        #[serde(default = "default_interval")]
        pub interval: u64,
        /// Alerts per Parquet object at most (default 1000).
        #[serde(default = "default_batchsize")]
        pub batchsize: usize,
    }
}

fn default_interval() -> u64 {
    5
}

fn default_batchsize() -> usize {
    1000
}

/// falcosidekick's bounds of `interval`, in minutes.
const INTERVAL_MINUTES: std::ops::RangeInclusive<u64> = 5..=60;

/// Payload bytes per object at most (the alerts' JSON; the Parquet object is smaller).
const BATCH_BYTES: usize = 64 << 20;

impl SecurityLakeConfig {
    /// The upload interval, clamped to falcosidekick's bounds.
    fn linger(&self) -> Duration {
        let minutes = self
            .interval
            .clamp(*INTERVAL_MINUTES.start(), *INTERVAL_MINUTES.end());
        Duration::from_secs(minutes * 60)
    }
}

#[async_trait::async_trait]
impl OutputConfig for SecurityLakeConfig {
    const KIND: &'static str = "securitylake";
    const BLOCK: &'static str = "aws.securitylake";
    const ENABLED_BY: &'static [&'static str] = &["bucket"];
    // falcosidekick's metric label, trailing dot included.
    const DESTINATION: &'static str = "awssecuritylake.";

    fn delivery_defaults(&self) -> DeliveryDefaults {
        DeliveryDefaults::batching(self.batchsize.max(1), BATCH_BYTES, self.linger())
    }

    fn validate(&self, problems: &mut falconer_core::Problems) {
        self.aws().validate(problems);
        if self.bucket.trim().is_empty() {
            problems.push("bucket", "must not be empty");
        }
        if self.prefix.trim().trim_matches('/').is_empty() {
            problems.push(
                "prefix",
                "must not be empty: the custom source's location (`ext/<source name>`)",
            );
        }
        let account = self.accountid.trim();
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            problems.push(
                "accountid",
                format!("{account:?} is not an AWS account id (12 digits)"),
            );
        }
        if self.batchsize == 0 {
            problems.push("batchsize", "must be at least 1");
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        if !INTERVAL_MINUTES.contains(&self.interval) {
            tracing::warn!(
                output = %cx.name,
                interval = self.interval,
                used = self.linger().as_secs() / 60,
                "aws.securitylake.interval is out of 5..60 minutes; clamped"
            );
        }
        let aws = self.aws();
        let sdk = crate::common::sdk_config(&aws, &cx).await?;
        let region = sdk.region().map(ToString::to_string).unwrap_or_default();
        let mut config = aws_sdk_s3::config::Builder::from(&sdk);
        if !aws.endpoint.is_empty() {
            config = config.force_path_style(true);
        }
        Ok(Arc::new(SecurityLake {
            client: aws_sdk_s3::Client::from_conf(config.build()),
            bucket: self.bucket.trim().to_owned(),
            prefix: self.prefix.trim().trim_matches('/').to_owned(),
            region,
            account: self.accountid.trim().to_owned(),
        }))
    }
}
