//! The `aws.sns` block.

use std::sync::Arc;

use falconer_core::{BuildContext, BuildError, Output, OutputConfig};

use super::output::Sns;

crate::common::aws_output_config! {
    /// Configuration of one SNS instance.
    pub struct SnsConfig {
        /// The topic ARN.
        pub topicarn: String,
        /// Publish the payload JSON as the message, without attributes (default false: the
        /// output text with attributes).
        #[serde(default)]
        pub rawjson: bool,
    }
}

#[async_trait::async_trait]
impl OutputConfig for SnsConfig {
    const KIND: &'static str = "sns";
    const BLOCK: &'static str = "aws.sns";
    const ENABLED_BY: &'static [&'static str] = &["topicarn"];
    const DESTINATION: &'static str = "awssns";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        self.aws().validate(problems);
        if !self.topicarn.trim().starts_with("arn:") {
            problems.push(
                "topicarn",
                format!("{:?} is not a topic ARN", self.topicarn),
            );
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let sdk = crate::common::sdk_config(&self.aws(), &cx).await?;
        Ok(Arc::new(Sns {
            client: aws_sdk_sns::Client::new(&sdk),
            topic: self.topicarn.trim().to_owned(),
            raw_json: self.rawjson,
        }))
    }
}
