//! The `aws.kinesis` block.

use std::sync::Arc;
use std::time::Duration;

use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use falconer_event::GoTemplate;

use super::output::{Kinesis, MAX_BATCH, MAX_BATCH_BYTES};

crate::common::aws_output_config! {
    /// Configuration of one Kinesis instance.
    pub struct KinesisConfig {
        /// The stream name.
        pub streamname: String,
        /// Partition key template (`{{.Hostname}}`, `{{.Rule}}`); default: the alert UUID.
        #[serde(default)]
        pub partitionkey: String,
    }
}

impl KinesisConfig {
    fn template(&self) -> Result<Option<GoTemplate>, String> {
        match self.partitionkey.trim() {
            "" => Ok(None),
            s => GoTemplate::parse(s)
                .map(Some)
                .map_err(|e| format!("invalid template: {e}")),
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for KinesisConfig {
    const KIND: &'static str = "kinesis";
    const BLOCK: &'static str = "aws.kinesis";
    const ENABLED_BY: &'static [&'static str] = &["streamname"];
    const DESTINATION: &'static str = "awskinesis";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(MAX_BATCH, MAX_BATCH_BYTES, Duration::ZERO);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        self.aws().validate(problems);
        if self.streamname.trim().is_empty() {
            problems.push("streamname", "must not be empty");
        }
        if let Err(e) = self.template() {
            problems.push("partitionkey", e);
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let key = self.template().map_err(|e| BuildError::new(&cx.path, e))?;
        let sdk = crate::common::sdk_config(&self.aws(), &cx).await?;
        Ok(Arc::new(Kinesis {
            client: aws_sdk_kinesis::Client::new(&sdk),
            stream: self.streamname.trim().to_owned(),
            key,
        }))
    }
}
