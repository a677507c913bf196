//! What went wrong in one delivery attempt, and what the core should do about it.

use std::time::Duration;

use http::StatusCode;

/// A boxed error crossing the output boundary.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Longest `Retry-After` the core will honour.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Failure of one delivery attempt, described by the output that understands its protocol.
/// The core derives the retry decision ([`SendError::retry`]) and a bounded metric label
/// ([`SendError::label`]) from it, the same way for every output.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The attempt did not finish in time.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// No connection could be made (refused, DNS, TLS handshake).
    #[error("connection failed: {0}")]
    Connect(#[source] BoxError),
    /// The destination answered with an HTTP error status.
    #[error("destination returned {status}: {body}")]
    Status {
        /// The status.
        status: StatusCode,
        /// The response body (truncated), the destination's own reason.
        body: String,
        /// A `Retry-After` the destination asked for.
        retry_after: Option<Duration>,
    },
    /// The destination understood the request and refused the alert (not retryable).
    #[error("destination rejected the alert: {0}")]
    Rejected(String),
    /// The alert could not be encoded for this destination (not retryable).
    #[error("cannot encode alert: {0}")]
    Encode(#[source] BoxError),
    /// Anything else; retried.
    #[error("{0}")]
    Other(#[source] BoxError),
    /// A bulk request was accepted except for some items (an Elasticsearch `_bulk` answer with
    /// item errors, say): the others are delivered, only these are retried or given up, each
    /// by its own error.
    #[error("{} alert(s) of the batch failed, first: {}", .0.len(), first_failure(.0))]
    Partial(Vec<(usize, SendError)>),
}

fn first_failure(failed: &[(usize, SendError)]) -> String {
    failed
        .first()
        .map_or_else(String::new, |(_, e)| e.to_string())
}

/// What the core does after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Retry with the usual backoff.
    Backoff,
    /// Retry no sooner than this.
    After(Duration),
    /// Give up on these alerts.
    Never,
}

impl SendError {
    /// The same failure again, for each alert of a group that failed together (the core's
    /// [`SendError::Partial`] takes one error per alert): the same retry decision and label;
    /// sources become their text.
    pub fn duplicate(&self) -> SendError {
        match self {
            SendError::Timeout(d) => SendError::Timeout(*d),
            SendError::Connect(source) => SendError::Connect(source.to_string().into()),
            SendError::Status {
                status,
                body,
                retry_after,
            } => SendError::Status {
                status: *status,
                body: body.clone(),
                retry_after: *retry_after,
            },
            SendError::Rejected(text) => SendError::Rejected(text.clone()),
            SendError::Encode(source) => SendError::Encode(source.to_string().into()),
            other => SendError::Other(other.to_string().into()),
        }
    }

    /// The retry decision: 408, 429 and 5xx (except 501) are retried, honouring
    /// `Retry-After` (capped at [`MAX_RETRY_AFTER`]); other 4xx, rejections and encoding
    /// errors are not; timeouts and connection failures are.
    pub fn retry(&self) -> Retry {
        match self {
            SendError::Timeout(_) | SendError::Connect(_) | SendError::Other(_) => Retry::Backoff,
            SendError::Status {
                status,
                retry_after,
                ..
            } => {
                let retryable = *status == StatusCode::REQUEST_TIMEOUT
                    || *status == StatusCode::TOO_MANY_REQUESTS
                    || (status.is_server_error() && *status != StatusCode::NOT_IMPLEMENTED);
                match (retryable, retry_after) {
                    (false, _) => Retry::Never,
                    (true, Some(after)) => Retry::After((*after).min(MAX_RETRY_AFTER)),
                    (true, None) => Retry::Backoff,
                }
            }
            SendError::Rejected(_) | SendError::Encode(_) => Retry::Never,
            // The items are decided one by one; this is the decision for the request as a whole.
            SendError::Partial(failed) => failed
                .iter()
                .map(|(_, e)| e.retry())
                .find(|r| *r != Retry::Never)
                .unwrap_or(Retry::Never),
        }
    }

    /// A bounded label for metrics: `timeout`, `connect`, `http_429`, `http_4xx`, `http_5xx`,
    /// `rejected`, `encode`, `other`, `partial`.
    pub fn label(&self) -> &'static str {
        match self {
            SendError::Timeout(_) => "timeout",
            SendError::Connect(_) => "connect",
            SendError::Status { status, .. } if *status == StatusCode::TOO_MANY_REQUESTS => {
                "http_429"
            }
            SendError::Status { status, .. } if status.is_server_error() => "http_5xx",
            SendError::Status { status, .. } if status.is_client_error() => "http_4xx",
            SendError::Status { .. } => "http_other",
            SendError::Rejected(_) => "rejected",
            SendError::Encode(_) => "encode",
            SendError::Other(_) => "other",
            SendError::Partial(_) => "partial",
        }
    }
}

/// An output could not be built (bad certificate file, unreachable at startup, …).
#[derive(Debug, thiserror::Error)]
#[error("{output}: {message}")]
pub struct BuildError {
    /// The instance's config path.
    pub output: String,
    /// What failed.
    pub message: String,
}

impl BuildError {
    /// A build failure of the instance at `output`.
    pub fn new(output: impl Into<String>, message: impl std::fmt::Display) -> Self {
        BuildError {
            output: output.into(),
            message: message.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, retry_after: Option<u64>) -> SendError {
        SendError::Status {
            status: StatusCode::from_u16(code).unwrap(),
            body: String::new(),
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn http_statuses_classify_like_the_design_says() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert_eq!(status(code, None).retry(), Retry::Backoff, "{code}");
        }
        for code in [400, 401, 403, 404, 413, 422, 501] {
            assert_eq!(status(code, None).retry(), Retry::Never, "{code}");
        }
        assert_eq!(
            status(429, Some(2)).retry(),
            Retry::After(Duration::from_secs(2))
        );
        assert_eq!(
            status(503, Some(100_000)).retry(),
            Retry::After(MAX_RETRY_AFTER)
        );
        assert_eq!(status(400, Some(2)).retry(), Retry::Never);
    }

    #[test]
    fn labels_are_bounded() {
        assert_eq!(status(429, None).label(), "http_429");
        assert_eq!(status(404, None).label(), "http_4xx");
        assert_eq!(status(502, None).label(), "http_5xx");
        assert_eq!(
            SendError::Timeout(Duration::from_secs(1)).label(),
            "timeout"
        );
        assert_eq!(SendError::Rejected("no".into()).retry(), Retry::Never);
    }
}
