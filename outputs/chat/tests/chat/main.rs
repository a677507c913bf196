//! The chat kinds against the recording sink, through the real delivery core: one module per
//! kind (one test binary for the family).

#[cfg(feature = "cliq")]
mod cliq;
mod conformance;
#[cfg(feature = "discord")]
mod discord;
#[cfg(feature = "googlechat")]
mod googlechat;
#[cfg(feature = "gotify")]
mod gotify;
#[cfg(feature = "mattermost")]
mod mattermost;
mod recipe;
#[cfg(feature = "rocketchat")]
mod rocketchat;
#[cfg(feature = "slack")]
mod slack;
#[cfg(feature = "teams")]
mod teams;
#[cfg(feature = "telegram")]
mod telegram;
#[cfg(feature = "webex")]
mod webex;

/// The body `encoder` makes for `alert`.
#[allow(dead_code)]
fn encoded_body(
    encoder: &impl falconer_outputs_chat::common::Encode,
    alert: &falconer_core::Alert,
) -> Vec<u8> {
    encoder.encode(alert).expect("encodes").body
}

#[allow(unused_imports)]
pub use falconer_http::contract::from_env;
