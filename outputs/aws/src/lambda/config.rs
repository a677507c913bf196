//! The `aws.lambda` block.

use std::sync::Arc;

use aws_sdk_lambda::types::{InvocationType, LogType};
use falconer_core::{BuildContext, BuildError, Choice, Choices, Output, OutputConfig};

use super::output::Lambda;

crate::common::aws_output_config! {
    /// Configuration of one Lambda instance.
    pub struct LambdaConfig {
        /// Function name, ARN or partial ARN (with an optional `:alias`).
        pub functionname: String,
        /// `RequestResponse` (default, waits for the function), `Event` (queued) or `DryRun`.
        #[serde(default = "default_invocation")]
        pub invocationtype: Choice<Invocation>,
        /// `Tail` (default: the last 4 KB of the function's log, logged at debug) or `None`.
        #[serde(default = "default_log")]
        pub logtype: Choice<Log>,
    }
}

fn default_invocation() -> Choice<Invocation> {
    Choice::new("RequestResponse")
}

fn default_log() -> Choice<Log> {
    Choice::new("Tail")
}

/// `invocationtype`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Invocation {
    /// `RequestResponse` (default).
    #[default]
    RequestResponse,
    /// `Event`.
    Event,
    /// `DryRun`.
    DryRun,
}

impl Choices for Invocation {
    fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "requestresponse" => Some(Invocation::RequestResponse),
            "event" => Some(Invocation::Event),
            "dryrun" => Some(Invocation::DryRun),
            _ => None,
        }
    }

    fn problem(raw: &str) -> String {
        format!("{raw:?} is not RequestResponse, Event or DryRun")
    }
}

impl From<Invocation> for InvocationType {
    fn from(invocation: Invocation) -> Self {
        match invocation {
            Invocation::RequestResponse => InvocationType::RequestResponse,
            Invocation::Event => InvocationType::Event,
            Invocation::DryRun => InvocationType::DryRun,
        }
    }
}

/// `logtype`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Log {
    /// `Tail` (default).
    #[default]
    Tail,
    /// `None`.
    None,
}

impl Choices for Log {
    fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "tail" => Some(Log::Tail),
            "none" => Some(Log::None),
            _ => None,
        }
    }

    fn problem(raw: &str) -> String {
        format!("{raw:?} is not Tail or None")
    }
}

impl From<Log> for LogType {
    fn from(log: Log) -> Self {
        match log {
            Log::Tail => LogType::Tail,
            Log::None => LogType::None,
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for LambdaConfig {
    const KIND: &'static str = "lambda";
    const BLOCK: &'static str = "aws.lambda";
    const ENABLED_BY: &'static [&'static str] = &["functionname"];
    const DESTINATION: &'static str = "awslambda";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        self.aws().validate(problems);
        if self.functionname.trim().is_empty() {
            problems.push("functionname", "must not be empty");
        }
        self.invocationtype.check("invocationtype", problems);
        self.logtype.check("logtype", problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let sdk = crate::common::sdk_config(&self.aws(), &cx).await?;
        Ok(Arc::new(Lambda {
            client: aws_sdk_lambda::Client::new(&sdk),
            function: self.functionname.trim().to_owned(),
            invocation: self.invocationtype.get().into(),
            log: self.logtype.get().into(),
        }))
    }
}
