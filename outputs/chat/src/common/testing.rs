//! Helpers of the chat kinds' unit tests (the integration tests' `encoded_body` is in
//! `tests/chat/main.rs`).

use falconer_core::Alert;

use crate::common::output::Encode;

/// The body `encoder` makes for `alert`, as text, and whether it was shortened.
pub fn encode_text(encoder: &impl Encode, alert: &Alert) -> (String, bool) {
    let encoded = encoder.encode(alert).expect("encodes");
    (
        String::from_utf8(encoded.body).expect("UTF-8"),
        encoded.truncated,
    )
}
