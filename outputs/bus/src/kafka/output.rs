//! Delivery: produce the batch, then wait for every delivery report.

use std::sync::Arc;
use std::time::Duration;

use falconer_core::{Alert, Output, SendError};
use falconer_event::{alert_to_template_value, GoTemplate};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};

use super::classify::classify;

/// The parsed key and header templates.
#[derive(Debug)]
pub(crate) struct Templates {
    /// The message key, when configured.
    pub key: Option<GoTemplate>,
    /// Header name and value template, in name order.
    pub headers: Vec<(String, GoTemplate)>,
}

/// A running Kafka instance: one producer (librdkafka keeps the broker connections and
/// reconnects on its own).
pub(crate) struct Kafka {
    producer: FutureProducer,
    topic: String,
    templates: Templates,
    asynchronous: bool,
}

impl std::fmt::Debug for Kafka {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kafka")
            .field("topic", &self.topic)
            .field("asynchronous", &self.asynchronous)
            .finish_non_exhaustive()
    }
}

/// An alert's key and headers, rendered.
struct Rendered {
    key: Option<String>,
    headers: Option<OwnedHeaders>,
}

impl Kafka {
    pub(crate) fn new(
        producer: FutureProducer,
        topic: String,
        templates: Templates,
        asynchronous: bool,
    ) -> Self {
        Kafka {
            producer,
            topic,
            templates,
            asynchronous,
        }
    }

    fn render(&self, alert: &Alert) -> Result<Rendered, SendError> {
        let t = &self.templates;
        if t.key.is_none() && t.headers.is_empty() {
            return Ok(Rendered {
                key: None,
                headers: None,
            });
        }
        let dot = alert_to_template_value(alert);
        let encode = |e: falconer_event::TemplateError| SendError::Encode(Box::new(e));
        let key = match &t.key {
            Some(template) => Some(template.render(&dot).map_err(encode)?),
            None => None,
        };
        let mut headers = None;
        for (name, template) in &t.headers {
            let value = template.render(&dot).map_err(encode)?;
            headers = Some(headers.unwrap_or_else(OwnedHeaders::new).insert(Header {
                key: name.as_str(),
                value: Some(value.as_bytes()),
            }));
        }
        Ok(Rendered { key, headers })
    }

    /// Hands one alert to librdkafka; its delivery report comes through the future.
    fn enqueue(&self, alert: &Alert) -> Result<DeliveryFuture, SendError> {
        let rendered = self.render(alert)?;
        let mut record: FutureRecord<'_, str, [u8]> =
            FutureRecord::to(&self.topic).payload(alert.json_bytes().as_ref());
        if let Some(key) = &rendered.key {
            record = record.key(key.as_str());
        }
        if let Some(headers) = rendered.headers {
            record = record.headers(headers);
        }
        self.producer
            .send_result(record)
            .map_err(|(e, _record)| classify(e))
    }
}

/// Waits for the delivery report of one message.
async fn report(future: DeliveryFuture) -> Result<(), SendError> {
    match future.await {
        Ok(Ok(_delivery)) => Ok(()),
        Ok(Err((e, _message))) => Err(classify(e)),
        // The producer dropped the message without a report (it is shutting down).
        Err(_canceled) => Err(SendError::Other(Box::new(KafkaError::Canceled))),
    }
}

#[async_trait::async_trait]
impl Output for Kafka {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        let mut pending = Vec::with_capacity(batch.len());
        let mut failed = Vec::new();
        for (i, alert) in batch.iter().enumerate() {
            match self.enqueue(alert) {
                Ok(future) => pending.push((i, future)),
                Err(e) => failed.push((i, e)),
            }
        }
        if self.asynchronous {
            let topic = self.topic.clone();
            tokio_spawn_reports(topic, pending);
        } else {
            let indexes: Vec<usize> = pending.iter().map(|(i, _)| *i).collect();
            let results =
                futures_util::future::join_all(pending.into_iter().map(|(_, f)| report(f))).await;
            for (i, result) in indexes.into_iter().zip(results) {
                if let Err(e) = result {
                    failed.push((i, e));
                }
            }
        }
        failed.sort_by_key(|(i, _)| *i);
        match failed.len() {
            0 => Ok(()),
            1 if batch.len() == 1 => Err(failed.remove(0).1),
            _ => Err(SendError::Partial(failed)),
        }
    }

    async fn healthcheck(&self) -> Result<(), SendError> {
        let producer = self.producer.clone();
        let topic = self.topic.clone();
        // Metadata for the topic proves a broker answers and the topic exists (or may be
        // created). librdkafka blocks, so this runs off the async threads.
        let answer = tokio::task::spawn_blocking(move || {
            producer
                .client()
                .fetch_metadata(Some(&topic), Duration::from_secs(5))
                .map(|_| ())
        })
        .await
        .map_err(|e| SendError::Other(Box::new(e)))?;
        answer.map_err(classify)
    }
}

/// `async: true`: the reports arrive after `send` returned; a failure can only be logged.
fn tokio_spawn_reports(topic: String, pending: Vec<(usize, DeliveryFuture)>) {
    tokio::spawn(async move {
        for (_, future) in pending {
            if let Err(error) = report(future).await {
                tracing::error!(%topic, %error, "kafka: asynchronous delivery failed; the alert is lost (async: true)");
            }
        }
    });
}
