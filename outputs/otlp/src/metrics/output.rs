//! Counting the alerts, and the periodic export.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use falconer_core::{Alert, Output, SendError};
use falconer_http::HttpTarget;
use prost::Message;
use serde_json::Value;

use super::encode::{export_request, MatchKey};
use crate::common::send_within;
use falconer_event::go_value;

/// What an instance and its export task share.
#[derive(Debug)]
pub(crate) struct Meter {
    pub(crate) target: HttpTarget,
    pub(crate) timeout: Duration,
    /// Output fields that become attributes (custom fields, then `extraattributes`).
    pub(crate) attributes: Vec<String>,
    pub(crate) registry: Option<prometheus::Registry>,
    pub(crate) start: u64,
    pub(crate) matches: Mutex<BTreeMap<MatchKey, u64>>,
}

fn now_nanos() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()).unwrap_or_default()
}

/// The label sets and totals of the registry's counter family `name`, labels `keys` renamed.
fn counters(
    registry: &prometheus::Registry,
    name: &str,
    keys: &[(&str, &str)],
) -> Vec<(Vec<(String, String)>, u64)> {
    let mut out = Vec::new();
    for family in registry.gather().iter().filter(|f| f.name() == name) {
        for m in family.get_metric() {
            let labels = keys
                .iter()
                .map(|(label, attribute)| {
                    let value = m
                        .get_label()
                        .iter()
                        .find(|l| l.name() == *label)
                        .map_or("", |l| l.value());
                    ((*attribute).to_owned(), value.to_owned())
                })
                .collect();
            // Counters hold whole counts.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let value = m.get_counter().get_value().max(0.0).round() as u64;
            out.push((labels, value));
        }
    }
    out
}

impl Meter {
    fn key(&self, alert: &Alert) -> MatchKey {
        MatchKey {
            fixed: [
                alert.source.clone(),
                alert.priority.to_string(),
                alert.rule.clone(),
                alert.hostname.clone(),
            ],
            tags: alert.tags.clone(),
            extra: self
                .attributes
                .iter()
                .filter_map(|name| {
                    alert
                        .output_fields
                        .get(name)
                        .filter(|v| !v.is_null())
                        .map(|v: &Value| (name.clone(), go_value(v, "<nil>")))
                })
                .collect(),
        }
    }

    /// Sends the totals so far.
    pub(crate) async fn export(&self) -> Result<(), SendError> {
        let matches = self.matches.lock().map(|m| m.clone()).unwrap_or_default();
        let (inputs, outputs) = match &self.registry {
            Some(r) => (
                counters(
                    r,
                    "falcosecurity_falcosidekick_inputs_total",
                    &[("source", "source"), ("status", "status")],
                ),
                counters(
                    r,
                    "falcosecurity_falcosidekick_outputs_total",
                    &[("destination", "destination"), ("status", "status")],
                ),
            ),
            None => (Vec::new(), Vec::new()),
        };
        let request = export_request(&matches, &inputs, &outputs, self.start, now_nanos());
        send_within(&self.target, request.encode_to_vec(), self.timeout).await
    }
}

/// A running OTLP metrics instance.
#[derive(Debug)]
pub(crate) struct Metrics {
    pub(crate) meter: Arc<Meter>,
}

/// Exports every `interval`, until the instance is gone.
pub(crate) fn spawn_export(meter: &Arc<Meter>, interval: Duration) {
    let weak: Weak<Meter> = Arc::downgrade(meter);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(meter) = weak.upgrade() else {
                return;
            };
            if let Err(e) = meter.export().await {
                // The sums are cumulative: the next export carries these counts too.
                tracing::warn!(error = %e, "Cannot export OTLP metrics; the next export carries the totals.");
            }
        }
    });
}

#[async_trait::async_trait]
impl Output for Metrics {
    /// Counts the alerts; they are exported with the next interval.
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        let keys: Vec<MatchKey> = batch.iter().map(|a| self.meter.key(a)).collect();
        let mut matches = self
            .meter
            .matches
            .lock()
            .map_err(|_| SendError::Other("the OTLP metrics counts are poisoned".into()))?;
        for key in keys {
            *matches.entry(key).or_insert(0) += 1;
        }
        Ok(())
    }
}
