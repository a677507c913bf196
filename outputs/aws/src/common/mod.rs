//! What the AWS outputs (`sqs`, `lambda`, `sns`, `cloudwatchlogs`, `s3`, `kinesis`) share:
//! falcosidekick's `aws.*` keys ([`AwsSettings`], added to each kind's config struct by
//! `aws_output_config!`), the SDK configuration they describe ([`sdk_config`]: region,
//! the SDK's default credential chain or static keys, an assumed role, an endpoint override,
//! the startup identity check), and how a failed SDK call is told to the delivery core
//! ([`classify`]).

mod classify;
mod sdk;
mod settings;

pub use classify::{classify, entry_error, is_throttling, is_transient};
pub use sdk::sdk_config;
#[allow(unused_imports)] // unused in a build without any AWS kind
pub(crate) use settings::aws_output_config;
pub use settings::AwsSettings;
