//! A failed SDK call as the delivery core understands it: throttling, 5xx, timeouts and
//! transport failures are retried; access denied, validation errors, missing resources and
//! other client errors are final.

use std::time::Duration;

use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use falconer_core::SendError;
use http::StatusCode;

/// Error codes that mean "try again later" beyond the SDK's throttling and transient lists.
const MORE_TRANSIENT: &[&str] = &[
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "InternalServiceError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ServiceException",
    "KmsThrottled",
    "KMSThrottlingException",
    "EC2ThrottledException",
    "ResourceConflictException",
];

/// True for an AWS throttling error code (`ThrottlingException`, `SlowDown`, …).
pub fn is_throttling(code: &str) -> bool {
    THROTTLING_ERRORS.contains(&code)
}

/// True for an AWS error code that is worth retrying (throttling, timeouts, internal errors).
pub fn is_transient(code: &str) -> bool {
    is_throttling(code) || TRANSIENT_ERRORS.contains(&code) || MORE_TRANSIENT.contains(&code)
}

/// One entry of a batch call that failed (`SendMessageBatch`, `PutRecords`): retried when
/// the code is transient or AWS says it was not the sender's fault, final otherwise.
pub fn entry_error(code: &str, message: &str, sender_fault: Option<bool>) -> SendError {
    let text = if message.is_empty() {
        code.to_owned()
    } else {
        format!("{code}: {message}")
    };
    if is_transient(code) || sender_fault == Some(false) {
        SendError::Other(text.into())
    } else {
        SendError::Rejected(text)
    }
}

/// Classifies a failed SDK call.
pub fn classify<E>(err: SdkError<E, HttpResponse>) -> SendError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::TimeoutError(_) => SendError::Timeout(Duration::ZERO),
        SdkError::DispatchFailure(d) if d.is_timeout() => SendError::Timeout(Duration::ZERO),
        SdkError::DispatchFailure(d) if d.is_io() => {
            SendError::Connect(DisplayErrorContext(&err).to_string().into())
        }
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let e = service.err();
            let code = e.code().unwrap_or_default();
            let text = match (code, e.message()) {
                ("", Some(m)) => m.to_owned(),
                ("", None) => DisplayErrorContext(&err).to_string(),
                (c, Some(m)) if !m.is_empty() => format!("{c}: {m}"),
                (c, _) => c.to_owned(),
            };
            service_error(status, code, text)
        }
        // Credentials that could not be resolved (IMDS briefly away, say), responses that
        // could not be read: worth another attempt.
        _ => SendError::Other(DisplayErrorContext(&err).to_string().into()),
    }
}

fn service_error(status: u16, code: &str, text: String) -> SendError {
    let http = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let status_error = |status: StatusCode| SendError::Status {
        status,
        body: text.clone(),
        retry_after: None,
    };
    if is_throttling(code) || http == StatusCode::TOO_MANY_REQUESTS {
        return status_error(StatusCode::TOO_MANY_REQUESTS);
    }
    if http.is_server_error() || http == StatusCode::REQUEST_TIMEOUT {
        return status_error(http);
    }
    if is_transient(code) {
        return SendError::Other(text.into());
    }
    SendError::Rejected(format!("{text} (HTTP {status})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode as SmithyStatus;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;
    use falconer_core::Retry;

    fn service(status: u16, code: &str, message: &str) -> SendError {
        let meta = ErrorMetadata::builder().code(code).message(message).build();
        let raw = HttpResponse::new(
            SmithyStatus::try_from(status).expect("status"),
            SdkBody::empty(),
        );
        classify(SdkError::service_error(meta, raw))
    }

    #[test]
    fn throttling_and_server_errors_are_retried() {
        let throttled = service(400, "ThrottlingException", "Rate exceeded");
        assert_eq!(throttled.retry(), Retry::Backoff);
        assert_eq!(throttled.label(), "http_429");
        assert_eq!(
            service(503, "SlowDown", "Reduce your request rate").label(),
            "http_429"
        );
        let internal = service(500, "InternalFailure", "oops");
        assert_eq!(internal.retry(), Retry::Backoff);
        assert_eq!(internal.label(), "http_5xx");
        assert_eq!(
            service(400, "RequestTimeout", "slow").retry(),
            Retry::Backoff
        );
        assert_eq!(
            service(400, "KMSThrottlingException", "kms").retry(),
            Retry::Backoff
        );
    }

    #[test]
    fn access_denied_validation_and_not_found_are_final() {
        for (status, code) in [
            (403, "AccessDeniedException"),
            (403, "AccessDenied"),
            (400, "InvalidParameterValue"),
            (400, "ValidationException"),
            (404, "ResourceNotFoundException"),
            (400, "AWS.SimpleQueueService.NonExistentQueue"),
            (404, "NoSuchBucket"),
        ] {
            let e = service(status, code, "no");
            assert_eq!(e.retry(), Retry::Never, "{code}");
            assert_eq!(e.label(), "rejected", "{code}");
            assert_eq!(
                e.to_string(),
                format!("destination rejected the alert: {code}: no (HTTP {status})")
            );
        }
    }

    #[test]
    fn transport_failures_are_retried() {
        let refused: SdkError<ErrorMetadata, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io("connection refused".into()));
        assert_eq!(classify(refused).label(), "connect");
        let slow: SdkError<ErrorMetadata, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::timeout("slow".into()));
        assert_eq!(classify(slow).label(), "timeout");
        let timeout: SdkError<ErrorMetadata, HttpResponse> = SdkError::timeout_error("late");
        assert_eq!(classify(timeout).retry(), Retry::Backoff);
        let creds: SdkError<ErrorMetadata, HttpResponse> =
            SdkError::construction_failure("no credentials");
        assert_eq!(classify(creds).retry(), Retry::Backoff);
    }

    #[test]
    fn a_copied_error_is_classified_the_same() {
        for e in [
            service(400, "ThrottlingException", "slow"),
            service(403, "AccessDenied", "no"),
            service(502, "BadGateway", "later"),
            SendError::Timeout(Duration::from_secs(1)),
        ] {
            let copy = e.duplicate();
            assert_eq!((copy.retry(), copy.label()), (e.retry(), e.label()));
            assert_eq!(copy.to_string(), e.to_string());
        }
    }

    #[test]
    fn batch_entries_follow_the_sender_fault_flag_and_the_code() {
        assert_eq!(
            entry_error("InvalidMessageContents", "bad", Some(true)).retry(),
            Retry::Never
        );
        assert_eq!(
            entry_error("InternalError", "later", Some(false)).retry(),
            Retry::Backoff
        );
        assert_eq!(
            entry_error("ProvisionedThroughputExceededException", "slow down", None).retry(),
            Retry::Backoff
        );
        assert_eq!(
            entry_error("InvalidArgumentException", "", None).to_string(),
            "destination rejected the alert: InvalidArgumentException"
        );
    }
}
