//! Delivery: one `Publish` per alert.

use std::sync::Arc;

use crate::common::classify;
use aws_sdk_sns::types::MessageAttributeValue;
use falconer_core::{Alert, Output, SendError};

use super::encode::attributes;

/// A running SNS instance.
#[derive(Debug)]
pub(crate) struct Sns {
    pub(crate) client: aws_sdk_sns::Client,
    pub(crate) topic: String,
    pub(crate) raw_json: bool,
}

#[async_trait::async_trait]
impl Output for Sns {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        for alert in batch {
            let mut req = self.client.publish().topic_arn(&self.topic);
            if self.raw_json {
                let body = std::str::from_utf8(alert.to_json())
                    .map_err(|e| SendError::Encode(Box::new(e)))?;
                req = req.message(body);
            } else {
                req = req.message(&alert.output);
                for (name, (data_type, value)) in attributes(alert) {
                    let value = MessageAttributeValue::builder()
                        .data_type(data_type.as_str())
                        .string_value(value)
                        .build()
                        .map_err(|e| SendError::Encode(Box::new(e)))?;
                    req = req.message_attributes(name, value);
                }
            }
            req.send().await.map_err(classify)?;
        }
        Ok(())
    }
}
