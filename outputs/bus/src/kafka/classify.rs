//! librdkafka errors as the delivery core understands them.

use falconer_core::SendError;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// Refusals that the same message would meet again: too big, malformed, not allowed, bad
/// credentials, unknown partition. Everything else (broker down, leader moving, timeouts,
/// full queues, replicas missing) passes and is retried by the core.
fn is_final(code: RDKafkaErrorCode) -> bool {
    use RDKafkaErrorCode as C;
    matches!(
        code,
        C::MessageSizeTooLarge
            | C::MessageBatchTooLarge
            | C::InvalidMessage
            | C::InvalidMessageSize
            | C::InvalidRecord
            | C::InvalidRequiredAcks
            | C::InvalidTopic
            | C::InvalidArgument
            | C::UnknownPartition
            | C::TopicAuthorizationFailed
            | C::ClusterAuthorizationFailed
            | C::TransactionalIdAuthorizationFailed
            | C::SaslAuthenticationFailed
            | C::Authentication
            | C::UnsupportedForMessageFormat
            | C::UnsupportedCompressionType
            | C::UnsupportedVersion
            | C::PolicyViolation
    )
}

/// Classifies one producer error.
pub(crate) fn classify(error: KafkaError) -> SendError {
    match error.rdkafka_error_code() {
        Some(code) if is_final(code) => SendError::Rejected(error.to_string()),
        Some(
            RDKafkaErrorCode::BrokerTransportFailure
            | RDKafkaErrorCode::AllBrokersDown
            | RDKafkaErrorCode::Resolve
            | RDKafkaErrorCode::NetworkException,
        ) => SendError::Connect(Box::new(error)),
        Some(RDKafkaErrorCode::MessageTimedOut | RDKafkaErrorCode::RequestTimedOut) => {
            SendError::Timeout(std::time::Duration::ZERO)
        }
        _ => SendError::Other(Box::new(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use falconer_core::Retry;

    #[test]
    fn refusals_are_final_and_outages_are_retried() {
        let produce = |code| classify(KafkaError::MessageProduction(code)).retry();
        assert_eq!(produce(RDKafkaErrorCode::MessageSizeTooLarge), Retry::Never);
        assert_eq!(
            produce(RDKafkaErrorCode::TopicAuthorizationFailed),
            Retry::Never
        );
        assert_eq!(produce(RDKafkaErrorCode::NotEnoughReplicas), Retry::Backoff);
        assert_eq!(
            produce(RDKafkaErrorCode::NotLeaderForPartition),
            Retry::Backoff
        );
        assert_eq!(produce(RDKafkaErrorCode::MessageTimedOut), Retry::Backoff);
        assert_eq!(produce(RDKafkaErrorCode::AllBrokersDown), Retry::Backoff);
        assert_eq!(
            produce(RDKafkaErrorCode::UnknownTopicOrPartition),
            Retry::Backoff
        );
    }
}
