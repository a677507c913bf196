//! Helpers of the chat kinds' tests (the `testing` feature; for tests only).

use falconer_core::Alert;

use crate::output::Encode;

/// The body `encoder` makes for `alert`, as text, and whether it was shortened.
pub fn encode_text(encoder: &impl Encode, alert: &Alert) -> (String, bool) {
    let encoded = encoder.encode(alert).expect("encodes");
    (
        String::from_utf8(encoded.body).expect("UTF-8"),
        encoded.truncated,
    )
}

/// The body `encoder` makes for `alert`.
pub fn encoded_body(encoder: &impl Encode, alert: &Alert) -> Vec<u8> {
    encoder.encode(alert).expect("encodes").body
}
