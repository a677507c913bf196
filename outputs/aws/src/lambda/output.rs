//! Delivery: one `Invoke` per alert.

use std::sync::Arc;

use crate::common::classify;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{InvocationType, LogType};
use falconer_core::{Alert, Output, SendError};

/// Characters of a function error's payload kept in the error message.
const ERROR_EXCERPT: usize = 512;

/// A running Lambda instance.
#[derive(Debug)]
pub(crate) struct Lambda {
    pub(crate) client: aws_sdk_lambda::Client,
    pub(crate) function: String,
    pub(crate) invocation: InvocationType,
    pub(crate) log: LogType,
}

#[async_trait::async_trait]
impl Output for Lambda {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        for alert in batch {
            let out = self
                .client
                .invoke()
                .function_name(&self.function)
                .invocation_type(self.invocation.clone())
                .log_type(self.log.clone())
                .payload(Blob::new(alert.to_json()))
                .send()
                .await
                .map_err(classify)?;
            if let Some(log) = out.log_result() {
                if let Ok(text) = aws_smithy_types::base64::decode(log) {
                    tracing::debug!(function = %self.function, log = %String::from_utf8_lossy(&text), "Lambda log");
                }
            }
            if let Some(kind) = out.function_error() {
                let payload = out
                    .payload()
                    .map(|p| {
                        String::from_utf8_lossy(p.as_ref())
                            .chars()
                            .take(ERROR_EXCERPT)
                            .collect::<String>()
                    })
                    .unwrap_or_default();
                // The function ran and failed: another attempt may succeed (a downstream it
                // calls was down, say); the retry limit bounds it.
                return Err(SendError::Other(
                    format!("function error ({kind}): {payload}").into(),
                ));
            }
        }
        Ok(())
    }
}
