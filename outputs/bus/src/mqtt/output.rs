//! Delivery: publish the batch on the topic, then wait for every acknowledgement.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use rumqttc::{MqttOptions, QoS};

use super::broker::Broker;
use super::link::Link;

/// A running MQTT instance.
pub(crate) struct Mqtt {
    link: Link,
    /// One batch at a time: the acknowledgements of a batch are matched in order.
    sending: tokio::sync::Mutex<()>,
    broker: Broker,
    topic: String,
    qos: QoS,
    retained: bool,
}

impl std::fmt::Debug for Mqtt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mqtt")
            .field("broker", &self.broker)
            .field("topic", &self.topic)
            .field("qos", &self.qos)
            .field("retained", &self.retained)
            .finish_non_exhaustive()
    }
}

impl Mqtt {
    /// Starts the connection in the background and returns the output.
    pub(crate) fn start(
        options: MqttOptions,
        broker: Broker,
        topic: String,
        qos: QoS,
        retained: bool,
    ) -> Mqtt {
        let name = format!("{}:{}", broker.host, broker.port);
        Mqtt {
            link: Link::start(options, name),
            sending: tokio::sync::Mutex::new(()),
            broker,
            topic,
            qos,
            retained,
        }
    }
}

#[async_trait::async_trait]
impl Output for Mqtt {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let _one_batch = self.sending.lock().await;
        self.link.ready().await?;
        let mut completions = Vec::with_capacity(batch.len());
        for alert in batch {
            completions.push(self.link.publish(
                &self.topic,
                self.qos,
                self.retained,
                alert.json_bytes(),
            )?);
        }
        let mut failed = Vec::new();
        for (i, completion) in completions.into_iter().enumerate() {
            let error = match completion.await {
                Ok(Ok(())) => continue,
                Ok(Err(failure)) => failure.to_send_error(),
                Err(_) => SendError::Connect("MQTT driver stopped".into()),
            };
            failed.push((i, error));
        }
        if failed.is_empty() {
            Ok(())
        } else if failed.len() == batch.len() {
            Err(failed.remove(0).1)
        } else {
            Err(SendError::Partial(failed))
        }
    }

    async fn healthcheck(&self) -> Result<(), SendError> {
        self.link.ready().await
    }
}
