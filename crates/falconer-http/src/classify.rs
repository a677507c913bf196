//! Response → `Result<(), SendError>`, the same for every HTTP output.

use std::time::{Duration, SystemTime};

use falconer_core::SendError;
use http::header::RETRY_AFTER;

/// Bytes of an error response body kept as the failure reason.
pub const MAX_ERROR_BODY_BYTES: usize = 2048;

/// falcosidekick's success statuses are 200, 201, 202 and 204; Falconer accepts every 2xx.
/// Anything else becomes [`SendError::Status`] with the body (the destination's reason) and
/// the `Retry-After` it asked for.
pub async fn classify_response(response: reqwest::Response) -> Result<(), SendError> {
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    let body = read_prefix(response, MAX_ERROR_BODY_BYTES).await;
    Err(SendError::Status {
        status,
        body,
        retry_after,
    })
}

/// The body of a 2xx answer (at most `limit` bytes, else [`SendError::Other`]); any other
/// status is classified as [`classify_response`] does.
pub async fn read_success(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<bytes::Bytes, SendError> {
    if !response.status().is_success() {
        classify_response(response).await?;
        return Ok(bytes::Bytes::new());
    }
    let mut buf = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > limit {
                    return Err(SendError::Other(
                        format!("the answer is larger than {limit} bytes").into(),
                    ));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(buf.into()),
            Err(e) => return Err(SendError::Other(Box::new(e.without_url()))),
        }
    }
}

/// Reads at most `limit` bytes of the body (a misbehaving endpoint cannot make us buffer more).
async fn read_prefix(mut response: reqwest::Response, limit: usize) -> String {
    let mut buf = Vec::new();
    while buf.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => buf.extend_from_slice(&chunk[..chunk.len().min(limit - buf.len())]),
            Ok(None) => break,
            Err(e) => return format!("(body unreadable: {})", e.without_url()),
        }
    }
    String::from_utf8_lossy(&buf).trim().to_owned()
}

/// `Retry-After` as delay-seconds or an HTTP-date (relative to `now`).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
