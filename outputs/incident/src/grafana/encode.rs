//! falcosidekick's Grafana annotation, pure.

use falconer_core::{Alert, SendError};
use falconer_http::go_json_line;
use serde::Serialize;
use serde_json::Value;

/// The annotation, fields in falcosidekick's order (ids left out when 0).
#[derive(Serialize)]
struct Annotation<'a> {
    #[serde(rename = "dashboardId", skip_serializing_if = "is_zero")]
    dashboard_id: i64,
    #[serde(rename = "panelId", skip_serializing_if = "is_zero")]
    panel_id: i64,
    time: i64,
    #[serde(rename = "timeEnd")]
    time_end: i64,
    tags: Vec<String>,
    text: &'a str,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// The request body of one alert, with the trailing newline of Go's JSON encoder. With
/// `all_fields`, the output field values are added in field-name order (falcosidekick adds
/// them in Go's random map order).
pub fn body(
    alert: &Alert,
    dashboard_id: i64,
    panel_id: i64,
    all_fields: bool,
) -> Result<Vec<u8>, SendError> {
    let mut tags = vec![
        "falco".to_owned(),
        alert.priority.as_str().to_owned(),
        alert.rule.clone(),
        alert.source.clone(),
    ];
    if !alert.hostname.is_empty() {
        tags.push(alert.hostname.clone());
    }
    if all_fields {
        let mut fields: Vec<(&String, &Value)> = alert.output_fields.iter().collect();
        fields.sort_by(|a, b| a.0.cmp(b.0));
        tags.extend(
            fields
                .into_iter()
                .map(|(_, v)| falconer_event::go_value(v, "<nil>")),
        );
        tags.extend(alert.tags.iter().cloned());
    }
    let ms = alert.time.timestamp_millis();
    go_json_line(&Annotation {
        dashboard_id,
        panel_id,
        time: ms,
        time_end: ms,
        tags,
        text: &alert.output,
    })
}
