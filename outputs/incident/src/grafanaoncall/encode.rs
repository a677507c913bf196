//! falcosidekick's Grafana OnCall alert, pure.

use falconer_core::{Alert, SendError};
use falconer_http::go_json_line;
use serde::Serialize;

/// The webhook body, fields in falcosidekick's order.
#[derive(Serialize)]
struct Payload<'a> {
    alert_uid: &'a str,
    state: &'static str,
    title: String,
    message: &'a str,
}

/// The request body of one alert, with the trailing newline of Go's JSON encoder.
pub fn body(alert: &Alert) -> Result<Vec<u8>, SendError> {
    go_json_line(&Payload {
        alert_uid: &alert.uuid,
        state: "alerting",
        title: format!("[{}] {}", alert.priority, alert.rule),
        message: &alert.output,
    })
}
