//! The running chat output: one request per alert to a webhook, the encoder's truncations
//! counted, the answer classified for the core.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError, Truncations};
use falconer_http::HttpTarget;

/// Bytes of a 2xx answer read when the service reports failures in it (Teams connectors).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The request body of one alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The body, as sent.
    pub body: Vec<u8>,
    /// True when some text was shortened to fit the service's limits.
    pub truncated: bool,
}

/// Builds the request body of one alert (pure: no I/O).
pub trait Encode: Send + Sync + 'static {
    /// The body for `alert`.
    fn encode(&self, alert: &Alert) -> Result<Encoded, SendError>;
}

/// Refines the shared HTTP classification with what a service's answers mean.
pub type Classify = fn(SendError) -> SendError;

/// Checks a 2xx answer's body, for services that report failures with a success status.
pub type CheckAnswer = fn(&[u8]) -> Result<(), SendError>;

/// A chat output instance: a webhook target and an encoder.
pub struct ChatOutput<E> {
    target: HttpTarget,
    encoder: E,
    truncations: Truncations,
    classify: Classify,
    check_answer: Option<CheckAnswer>,
}

impl<E: Encode> ChatOutput<E> {
    /// Posts `encoder`'s bodies to `target`.
    pub fn new(target: HttpTarget, encoder: E) -> Self {
        ChatOutput {
            target,
            encoder,
            truncations: Truncations::default(),
            classify: |e| e,
            check_answer: None,
        }
    }

    /// With a service-specific classification of failed answers.
    pub fn with_classify(mut self, classify: Classify) -> Self {
        self.classify = classify;
        self
    }

    /// With a check of successful answers' bodies.
    pub fn with_answer_check(mut self, check: CheckAnswer) -> Self {
        self.check_answer = Some(check);
        self
    }

    async fn send_one(&self, alert: &Alert) -> Result<(), SendError> {
        let encoded = self.encoder.encode(alert)?;
        if encoded.truncated {
            self.truncations.record();
            tracing::debug!(rule = %alert.rule, "Message shortened to the service's limits.");
        }
        match self.check_answer {
            None => self.target.send(encoded.body).await.map_err(self.classify),
            Some(check) => {
                let answer = self
                    .target
                    .send_reading(encoded.body, MAX_ANSWER_BYTES)
                    .await
                    .map_err(self.classify)?;
                check(&answer)
            }
        }
    }
}

#[async_trait::async_trait]
impl<E: Encode> Output for ChatOutput<E> {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        // Chat kinds send one message per alert; the core gives them batches of one.
        falconer_core::send_each(batch, |alert| self.send_one(alert)).await
    }

    fn take_truncations(&self) -> u64 {
        self.truncations.take()
    }
}
