//! Alerts → a Kafka REST Proxy produce request (binary embedded format), pure.

use std::sync::Arc;

use base64::Engine as _;
use falconer_core::{Alert, SendError};
use falconer_http::go_json_line;
use serde::Serialize;

#[derive(Serialize)]
struct Record {
    value: String,
}

#[derive(Serialize)]
struct Records {
    records: Vec<Record>,
}

/// `application/vnd.kafka.binary.v{version}+json`.
pub fn content_type(version: u8) -> String {
    format!("application/vnd.kafka.binary.v{version}+json")
}

/// The body for `batch`: one record per alert, its value the base64 of the payload JSON
/// (for one alert, falcosidekick's body byte for byte).
pub fn records(batch: &[Arc<Alert>]) -> Result<Vec<u8>, SendError> {
    let engine = base64::engine::general_purpose::STANDARD;
    go_json_line(&Records {
        records: batch
            .iter()
            .map(|alert| Record {
                value: engine.encode(alert.json_bytes()),
            })
            .collect(),
    })
}
