//! Pure encoding of HEC request bodies. One alert with `sendtime: false` and no `index` or
//! `source` is falcosidekick's body byte for byte: `{"event":<payload>,"sourcetype":"falcosidekick"}`.

use std::sync::Arc;

use falconer_event::{to_go_json, Alert, AlertTime};

/// Builds HEC bodies for one Splunk instance.
#[derive(Clone, Debug, Default)]
pub struct HecEncoder {
    /// `sourcetype` of every event (omitted when empty: HEC then uses the token's default).
    pub sourcetype: String,
    /// `index` of every event (omitted when empty: the token's default index).
    pub index: String,
    /// `source` of every event (omitted when empty).
    pub source: String,
    /// Send the alert's time as `time` (epoch seconds with microseconds).
    pub send_time: bool,
}

/// `time` as HEC reads it: epoch seconds with a six-digit fraction (`1715678467.418790`).
pub fn epoch_seconds(time: &AlertTime) -> String {
    let micros = time.timestamp_micros();
    let sign = if micros < 0 { "-" } else { "" };
    let abs = micros.unsigned_abs();
    format!("{sign}{}.{:06}", abs / 1_000_000, abs % 1_000_000)
}

impl HecEncoder {
    /// Appends one event object for `alert`. Key order: `event`, `sourcetype` (falcosidekick's
    /// two keys, so its bytes are a prefix), then `time`, `index`, `source`.
    pub fn event(&self, alert: &Alert, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"event\":");
        out.extend_from_slice(alert.json_bytes());
        let string_field = |out: &mut Vec<u8>, key: &str, value: &str| {
            if !value.is_empty() {
                out.extend_from_slice(format!(",\"{key}\":").as_bytes());
                write_json_string(out, value);
            }
        };
        string_field(out, "sourcetype", &self.sourcetype);
        if self.send_time {
            out.extend_from_slice(b",\"time\":");
            out.extend_from_slice(epoch_seconds(&alert.time).as_bytes());
        }
        string_field(out, "index", &self.index);
        string_field(out, "source", &self.source);
        out.push(b'}');
    }

    /// The body for `batch`: one event object per alert, in order, separated by a newline
    /// (HEC reads concatenated objects; there is no trailing newline).
    pub fn encode(&self, batch: &[Arc<Alert>]) -> Vec<u8> {
        let size: usize = batch.iter().map(|a| a.json_bytes().len() + 128).sum();
        let mut out = Vec::with_capacity(size);
        for (n, alert) in batch.iter().enumerate() {
            if n > 0 {
                out.push(b'\n');
            }
            self.event(alert, &mut out);
        }
        out
    }
}

/// Appends `value` as Go's `json.Marshal` writes a string (a string cannot fail to serialize).
fn write_json_string(out: &mut Vec<u8>, value: &str) {
    match to_go_json(value) {
        Ok(bytes) => out.extend_from_slice(&bytes),
        Err(_) => out.extend_from_slice(b"\"\""),
    }
}
