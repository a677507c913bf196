//! The `logs:import` body, as falcosidekick builds it with Go maps (keys in sorted order).

use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use falconer_event::Alert;
use serde_json::json;

/// `{"inlineSource":{"logs":[{"collectionTime":…,"data":…,"logEntryTime":…}, …]}}`: `data`
/// is base64 of the payload JSON, `logEntryTime` the alert's time and `collectionTime` `now`
/// (a second after the alert's time when `now` is not later), both RFC 3339 in seconds.
pub fn import_body(batch: &[Arc<Alert>], now: DateTime<Utc>) -> Vec<u8> {
    let logs: Vec<serde_json::Value> = batch
        .iter()
        .map(|alert| {
            let entry = alert.time;
            let collection = if now > entry {
                now.fixed_offset()
            } else {
                entry + chrono::Duration::seconds(1)
            };
            json!({
                "collectionTime": collection.to_rfc3339_opts(SecondsFormat::Secs, true),
                "data": base64::engine::general_purpose::STANDARD.encode(alert.json_bytes()),
                "logEntryTime": entry.to_rfc3339_opts(SecondsFormat::Secs, true),
            })
        })
        .collect();
    // Strings in maps always serialize.
    serde_json::to_vec(&json!({"inlineSource": {"logs": logs}})).unwrap_or_default()
}
