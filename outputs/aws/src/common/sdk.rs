//! The SDK configuration an instance's keys describe.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_types::error::display::DisplayErrorContext;
use falconer_core::{BuildContext, BuildError};

use crate::common::AwsSettings;

/// Limit of the startup identity check.
const IDENTITY_TIMEOUT: Duration = Duration::from_secs(15);

/// Session name of an assumed role, as CloudTrail shows it.
const SESSION_NAME: &str = "falconer";

/// Builds the SDK configuration of one output instance: the SDK's defaults (region and
/// credential chains, profile files), overridden by `region` and static keys when set,
/// credentials of `rolearn` when set, and `endpoint` for the service. STS calls use
/// `stsendpoint` (or the SDK's STS endpoint). The SDK's own retries are off: the delivery
/// core retries. With `checkidentity`, STS `GetCallerIdentity` must succeed, otherwise this
/// output (only) fails to build.
pub async fn sdk_config(aws: &AwsSettings, cx: &BuildContext) -> Result<SdkConfig, BuildError> {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).retry_config(RetryConfig::disabled());
    if !aws.region.is_empty() {
        loader = loader.region(Region::new(aws.region.clone()));
    }
    if !aws.accesskeyid.is_empty() {
        loader = loader.credentials_provider(Credentials::new(
            aws.accesskeyid.clone(),
            aws.secretaccesskey.expose().to_owned(),
            None,
            None,
            "falconer-static",
        ));
    }
    let mut config = loader.load().await;
    if config.region().is_none() {
        return Err(BuildError::new(
            &cx.path,
            "no AWS region: set `region` (aws.region) or AWS_REGION",
        ));
    }
    let for_sts = |config: &SdkConfig| {
        let mut b = config.to_builder();
        if !aws.stsendpoint.is_empty() {
            b.set_endpoint_url(Some(aws.stsendpoint.clone()));
        }
        b.build()
    };
    if !aws.rolearn.is_empty() {
        let mut role = AssumeRoleProvider::builder(aws.rolearn.clone()).session_name(SESSION_NAME);
        if !aws.externalid.is_empty() {
            role = role.external_id(aws.externalid.clone());
        }
        let provider = role.configure(&for_sts(&config)).build().await;
        config = config
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
    }
    if aws.checkidentity {
        check_identity(&for_sts(&config), cx).await?;
    }
    if !aws.endpoint.is_empty() {
        let mut b = config.into_builder();
        b.set_endpoint_url(Some(aws.endpoint.clone()));
        config = b.build();
    }
    Ok(config)
}

/// STS `GetCallerIdentity` with these credentials.
async fn check_identity(config: &SdkConfig, cx: &BuildContext) -> Result<(), BuildError> {
    let sts = aws_sdk_sts::Client::new(config);
    let fail = |why: String| {
        BuildError::new(
            &cx.path,
            format!(
                "checkidentity: STS GetCallerIdentity failed: {why} (fix the AWS credentials, or set checkidentity: false)"
            ),
        )
    };
    match tokio::time::timeout(IDENTITY_TIMEOUT, sts.get_caller_identity().send()).await {
        Err(_) => Err(fail(format!("no answer within {IDENTITY_TIMEOUT:?}"))),
        Ok(Err(e)) => Err(fail(DisplayErrorContext(&e).to_string())),
        Ok(Ok(identity)) => {
            tracing::info!(
                output = %cx.name,
                account = identity.account().unwrap_or_default(),
                arn = identity.arn().unwrap_or_default(),
                "AWS identity checked"
            );
            Ok(())
        }
    }
}
