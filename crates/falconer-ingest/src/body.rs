//! Reading a request body within a size limit and a deadline.

use axum::body::Body;
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::IngestLimits;

/// Why the body could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    /// Over the limit.
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    /// Not received in time.
    #[error("body not received in time")]
    Timeout,
    /// The client broke off.
    #[error("body could not be read: {0}")]
    Io(String),
}

/// Reads the whole body, refusing it as soon as it is known to be too large.
pub(crate) async fn read_body(
    body: Body,
    content_length: Option<u64>,
    limits: IngestLimits,
) -> Result<Bytes, BodyError> {
    if content_length.is_some_and(|len| len > limits.max_body_bytes as u64) {
        return Err(BodyError::TooLarge(limits.max_body_bytes));
    }
    let limited = Limited::new(body, limits.max_body_bytes);
    match tokio::time::timeout(limits.body_timeout, limited.collect()).await {
        Err(_) => Err(BodyError::Timeout),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(BodyError::TooLarge(limits.max_body_bytes))
        }
        Ok(Err(e)) => Err(BodyError::Io(e.to_string())),
    }
}
