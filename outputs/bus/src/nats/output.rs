//! Delivery: publish the batch, then flush (core NATS) or await every acknowledgement
//! (JetStream).

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};

use super::subject::SubjectTemplate;

/// A running NATS instance.
pub(crate) struct Nats {
    client: async_nats::Client,
    jetstream: Option<async_nats::jetstream::Context>,
    subject: SubjectTemplate,
}

impl std::fmt::Debug for Nats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nats")
            .field("subject", &self.subject)
            .field("jetstream", &self.jetstream.is_some())
            .finish_non_exhaustive()
    }
}

impl Nats {
    pub(crate) fn new(
        client: async_nats::Client,
        subject: SubjectTemplate,
        jetstream: bool,
    ) -> Self {
        let js = jetstream.then(|| async_nats::jetstream::new(client.clone()));
        Nats {
            client,
            jetstream: js,
            subject,
        }
    }

    async fn send_core(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if self.client.connection_state() != async_nats::connection::State::Connected {
            return Err(SendError::Connect("not connected to NATS".into()));
        }
        for alert in batch {
            self.client
                .publish(self.subject.render(alert), alert.json_bytes().clone())
                .await
                .map_err(|e| SendError::Connect(Box::new(e)))?;
        }
        // The server's answer to the flush proves it received everything before it.
        self.client
            .flush()
            .await
            .map_err(|e| SendError::Connect(Box::new(e)))
    }

    async fn send_jetstream(
        &self,
        js: &async_nats::jetstream::Context,
        batch: &[Arc<Alert>],
    ) -> Result<(), SendError> {
        use async_nats::jetstream::context::PublishErrorKind;
        let mut acks = Vec::with_capacity(batch.len());
        for alert in batch {
            let ack = js
                .publish(self.subject.render(alert), alert.json_bytes().clone())
                .await
                .map_err(|e| SendError::Connect(Box::new(e)))?;
            acks.push(ack);
        }
        let mut failed = Vec::new();
        for (i, ack) in acks.into_iter().enumerate() {
            if let Err(e) = ack.await {
                let error = match e.kind() {
                    // No stream captures the subject: a configuration problem, not a blip.
                    PublishErrorKind::StreamNotFound => SendError::Rejected(e.to_string()),
                    PublishErrorKind::TimedOut => SendError::Other(Box::new(e)),
                    _ => SendError::Other(Box::new(e)),
                };
                failed.push((i, error));
            }
        }
        if failed.is_empty() {
            Ok(())
        } else if failed.len() == batch.len() && batch.len() == 1 {
            Err(failed.remove(0).1)
        } else {
            Err(SendError::Partial(failed))
        }
    }
}

#[async_trait::async_trait]
impl Output for Nats {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        match &self.jetstream {
            Some(js) => self.send_jetstream(js, batch).await,
            None => self.send_core(batch).await,
        }
    }
}
