//! The outbound HTTP client every HTTP output shares: one pooled `reqwest` client per output
//! instance with falcosidekick's TLS options (`checkcert`, `mutualtls`, `tlsclient.cacertfile`,
//! `mutualtlsclient.*`), default and custom headers, and one mapping from responses to
//! [`SendError`](falconer_core::SendError)s (status, body as reason, `Retry-After`).
//!
//! It also holds the HTTP-output kit every HTTP kind shares: the config keys every HTTP kind
//! embeds ([`HttpKeys`], [`TlsKeys`], declared with [`http_config!`], validated by
//! [`HttpKeys::validate`]), NDJSON and Go-JSON bodies ([`ndjson`], [`go_json_line`]), URL and
//! header checks ([`http_url`], [`check_url`], [`check_header_value`]), [`post_target`], and
//! [`RegionalApi`] for SaaS APIs with a US and an EU endpoint. With the `contract` feature
//! (for the output crates' tests only), [`contract`] runs an output behind the real delivery
//! core against the recording sink and checks what it sent or refused, [`fixtures`]
//! compares bodies with golden files, and [`recipe`] checks that every kind of a family has
//! what `docs/contributing.md` asks for.

// `http_config!` names this crate `falconer_http` in serde attributes.
extern crate self as falconer_http;

mod classify;
mod client;
#[cfg(feature = "contract")]
pub mod conformance;
#[cfg(feature = "contract")]
pub mod contract;
#[cfg(feature = "contract")]
pub mod fixtures;
mod keys;
mod kit;
#[cfg(feature = "contract")]
pub mod recipe;
mod regional;
#[cfg(test)]
mod tests;
mod token;

pub use classify::{classify_response, parse_retry_after, read_success, MAX_ERROR_BODY_BYTES};
pub use client::{
    basic_auth_value, gzip, ClientError, HttpTarget, TargetOptions, CONTENT_TYPE_JSON, USER_AGENT,
};
pub use keys::{default_true, HttpClientSettings, HttpKeys, TlsKeys};
pub use kit::{
    check_header_value, check_url, go_json_line, http_url, ndjson, post_target, ParseError,
    UrlError,
};
pub use regional::{Region, RegionalApi};
pub use token::{token_error, BearerToken, TokenCache};
