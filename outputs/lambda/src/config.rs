//! The `aws.lambda` block.

use std::sync::Arc;

use aws_sdk_lambda::types::{InvocationType, LogType};
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};

use crate::output::Lambda;

falconer_output_aws_common::aws_output_config! {
    /// Configuration of one Lambda instance.
    pub struct LambdaConfig {
        /// Function name, ARN or partial ARN (with an optional `:alias`).
        pub functionname: String,
        /// `RequestResponse` (default, waits for the function), `Event` (queued) or `DryRun`.
        #[serde(default = "default_invocation")]
        pub invocationtype: String,
        /// `Tail` (default: the last 4 KB of the function's log, logged at debug) or `None`.
        #[serde(default = "default_log")]
        pub logtype: String,
    }
}

fn default_invocation() -> String {
    "RequestResponse".into()
}

fn default_log() -> String {
    "Tail".into()
}

impl LambdaConfig {
    fn invocation(&self) -> Option<InvocationType> {
        match self.invocationtype.trim().to_ascii_lowercase().as_str() {
            "" | "requestresponse" => Some(InvocationType::RequestResponse),
            "event" => Some(InvocationType::Event),
            "dryrun" => Some(InvocationType::DryRun),
            _ => None,
        }
    }

    fn log(&self) -> Option<LogType> {
        match self.logtype.trim().to_ascii_lowercase().as_str() {
            "" | "tail" => Some(LogType::Tail),
            "none" => Some(LogType::None),
            _ => None,
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for LambdaConfig {
    const KIND: &'static str = "lambda";
    const BLOCK: &'static str = "aws.lambda";
    const ENABLED_BY: &'static [&'static str] = &["functionname"];
    const DESTINATION: &'static str = "awslambda";

    fn validate(&self, problems: &mut Vec<(String, String)>) {
        self.aws().validate(problems);
        if self.functionname.trim().is_empty() {
            problems.push(("functionname".into(), "must not be empty".into()));
        }
        if self.invocation().is_none() {
            problems.push((
                "invocationtype".into(),
                format!(
                    "{:?} is not RequestResponse, Event or DryRun",
                    self.invocationtype
                ),
            ));
        }
        if self.log().is_none() {
            problems.push((
                "logtype".into(),
                format!("{:?} is not Tail or None", self.logtype),
            ));
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let sdk = falconer_output_aws_common::sdk_config(&self.aws(), &cx).await?;
        Ok(Arc::new(Lambda {
            client: aws_sdk_lambda::Client::new(&sdk),
            function: self.functionname.trim().to_owned(),
            invocation: self.invocation().unwrap_or(InvocationType::RequestResponse),
            log: self.log().unwrap_or(LogType::Tail),
        }))
    }
}
