//! The `aws.cloudwatchlogs` block.

use std::sync::Arc;
use std::time::Duration;

use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};

use super::output::CloudWatchLogs;

crate::common::aws_output_config! {
    /// Configuration of one CloudWatch Logs instance.
    pub struct CloudWatchLogsConfig {
        /// The log group (must exist).
        pub loggroup: String,
        /// The log stream; created when missing. Default `falcosidekick-logstream`.
        #[serde(default)]
        pub logstream: String,
    }
}

/// falcosidekick's stream when `logstream` is empty.
const DEFAULT_STREAM: &str = "falcosidekick-logstream";

/// Events per call at most (CloudWatch allows 10,000).
const MAX_BATCH: usize = 1000;

/// Payload bytes per call at most: CloudWatch counts 1,048,576 bytes including 26 per event.
const MAX_BATCH_BYTES: usize = 1_000_000;

#[async_trait::async_trait]
impl OutputConfig for CloudWatchLogsConfig {
    const KIND: &'static str = "cloudwatchlogs";
    const BLOCK: &'static str = "aws.cloudwatchlogs";
    const ENABLED_BY: &'static [&'static str] = &["loggroup"];
    const DESTINATION: &'static str = "awscloudwatchlogs";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(MAX_BATCH, MAX_BATCH_BYTES, Duration::ZERO);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        self.aws().validate(problems);
        if self.loggroup.trim().is_empty() {
            problems.push("loggroup", "must not be empty");
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let sdk = crate::common::sdk_config(&self.aws(), &cx).await?;
        let stream = match self.logstream.trim() {
            "" => DEFAULT_STREAM.to_owned(),
            s => s.to_owned(),
        };
        Ok(Arc::new(CloudWatchLogs {
            client: aws_sdk_cloudwatchlogs::Client::new(&sdk),
            group: self.loggroup.trim().to_owned(),
            stream,
        }))
    }
}
