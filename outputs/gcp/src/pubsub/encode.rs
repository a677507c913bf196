//! The publish request's body.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use falconer_event::Alert;
use serde::Serialize;

#[derive(Serialize)]
struct Message<'a> {
    data: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    attributes: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
struct Publish<'a> {
    messages: Vec<Message<'a>>,
}

/// `{"messages":[{"data":"<base64 of the payload JSON>","attributes":{…}}, …]}`.
pub fn publish_body(batch: &[Arc<Alert>], attributes: &BTreeMap<String, String>) -> Vec<u8> {
    let body = Publish {
        messages: batch
            .iter()
            .map(|a| Message {
                data: base64::engine::general_purpose::STANDARD.encode(a.json_bytes()),
                attributes,
            })
            .collect(),
    };
    // Strings and a map of strings always serialize.
    serde_json::to_vec(&body).unwrap_or_default()
}
