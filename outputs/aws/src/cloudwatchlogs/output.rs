//! Delivery: `PutLogEvents` per time-ordered group of the batch; the stream is created when
//! CloudWatch says it is missing.

use std::sync::Arc;

use crate::common::classify;
use aws_sdk_cloudwatchlogs::operation::put_log_events::PutLogEventsOutput;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use falconer_core::{Alert, Output, SendError};

use super::encode::{calls, rejected};

/// A running CloudWatch Logs instance.
#[derive(Debug)]
pub(crate) struct CloudWatchLogs {
    pub(crate) client: aws_sdk_cloudwatchlogs::Client,
    pub(crate) group: String,
    pub(crate) stream: String,
}

impl CloudWatchLogs {
    async fn put(&self, events: Vec<InputLogEvent>) -> Result<PutLogEventsOutput, SendError> {
        let request = self
            .client
            .put_log_events()
            .log_group_name(&self.group)
            .log_stream_name(&self.stream)
            .set_log_events(Some(events));
        match request.clone().send().await {
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                self.create_stream().await?;
                request.send().await.map_err(classify)
            }
            other => other.map_err(classify),
        }
    }

    async fn create_stream(&self) -> Result<(), SendError> {
        tracing::info!(group = %self.group, stream = %self.stream, "creating the CloudWatch log stream");
        match self
            .client
            .create_log_stream()
            .log_group_name(&self.group)
            .log_stream_name(&self.stream)
            .send()
            .await
        {
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_already_exists_exception()) =>
            {
                Ok(())
            }
            other => other.map(|_| ()).map_err(classify),
        }
    }
}

#[async_trait::async_trait]
impl Output for CloudWatchLogs {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        let timestamps: Vec<i64> = batch.iter().map(|a| a.time.timestamp_millis()).collect();
        let groups = calls(&timestamps);
        let single = groups.len() == 1;
        let mut failed = Vec::new();
        for group in groups {
            let mut events = Vec::with_capacity(group.len());
            for &i in &group {
                let message = std::str::from_utf8(batch[i].to_json())
                    .map_err(|e| SendError::Encode(Box::new(e)))?;
                let event = InputLogEvent::builder()
                    .timestamp(timestamps[i])
                    .message(message)
                    .build()
                    .map_err(|e| SendError::Encode(Box::new(e)))?;
                events.push(event);
            }
            match self.put(events).await {
                Ok(out) => {
                    if let Some(info) = out.rejected_log_events_info() {
                        for (k, why) in rejected(
                            group.len(),
                            info.too_new_log_event_start_index(),
                            info.too_old_log_event_end_index(),
                            info.expired_log_event_end_index(),
                        ) {
                            failed.push((
                                group[k],
                                SendError::Rejected(format!(
                                    "CloudWatch rejected the event: {why}"
                                )),
                            ));
                        }
                    }
                }
                Err(e) if single => return Err(e),
                Err(e) => failed.extend(group.iter().map(|&i| (i, e.duplicate()))),
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            failed.sort_by_key(|(i, _)| *i);
            Err(SendError::Partial(failed))
        }
    }
}
