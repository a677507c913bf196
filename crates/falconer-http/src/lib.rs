//! The outbound HTTP client every HTTP output shares: one pooled `reqwest` client per output
//! instance with falcosidekick's TLS options (`checkcert`, `mutualtls`, `tlsclient.cacertfile`,
//! `mutualtlsclient.*`), default and custom headers, and one mapping from responses to
//! [`SendError`]s (status, body as reason, `Retry-After`).

mod classify;
mod client;
#[cfg(test)]
mod tests;

pub use classify::{classify_response, parse_retry_after, read_success, MAX_ERROR_BODY_BYTES};
pub use client::{
    basic_auth_value, gzip, ClientError, HttpClientSettings, HttpTarget, TargetOptions,
    CONTENT_TYPE_JSON, USER_AGENT,
};
