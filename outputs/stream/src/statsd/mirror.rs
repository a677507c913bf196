//! What Falconer counted since the last push, read from the process's Prometheus registry:
//! requests (`falcosecurity_falcosidekick_inputs_total`) and deliveries
//! (`falcosecurity_falcosidekick_outputs_total`).

use std::collections::HashMap;

use prometheus::proto::MetricFamily;

const INPUTS: &str = "falcosecurity_falcosidekick_inputs_total";
const OUTPUTS: &str = "falcosecurity_falcosidekick_outputs_total";

/// One count to push: the metric, its tags, how much it grew.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delta {
    /// `inputs.requests.accepted`, `outputs`, …
    pub metric: String,
    /// `(key, value)` tags.
    pub tags: Vec<(String, String)>,
    /// The growth since the last push.
    pub value: u64,
}

/// The counters' last pushed values.
#[derive(Debug)]
pub struct Mirror {
    registry: prometheus::Registry,
    last: HashMap<String, f64>,
}

fn label<'a>(m: &'a prometheus::proto::Metric, name: &str) -> &'a str {
    m.get_label()
        .iter()
        .find(|l| l.name() == name)
        .map_or("", |l| l.value())
}

impl Mirror {
    /// Starts from the counters' current values (what was counted before is not pushed).
    pub fn new(registry: prometheus::Registry) -> Self {
        let mut mirror = Mirror {
            registry,
            last: HashMap::new(),
        };
        let _ = mirror.deltas();
        mirror
    }

    /// What grew since the last call.
    pub fn deltas(&mut self) -> Vec<Delta> {
        let families: Vec<MetricFamily> = self.registry.gather();
        let mut out = Vec::new();
        for family in &families {
            let name = family.name();
            if name != INPUTS && name != OUTPUTS {
                continue;
            }
            for m in family.get_metric() {
                let (metric, tags) = if name == INPUTS {
                    (
                        format!("inputs.{}.{}", label(m, "source"), label(m, "status")),
                        Vec::new(),
                    )
                } else {
                    (
                        "outputs".to_owned(),
                        vec![
                            ("output".to_owned(), label(m, "destination").to_owned()),
                            ("status".to_owned(), label(m, "status").to_owned()),
                        ],
                    )
                };
                let key = format!("{metric}|{tags:?}");
                let now = m.get_counter().get_value();
                let before = self.last.insert(key, now).unwrap_or(0.0);
                // A counter that went down was reset: all of it is new.
                let grown = if now >= before { now - before } else { now };
                if grown >= 1.0 {
                    // Counters hold whole counts.
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let value = grown.round() as u64;
                    out.push(Delta {
                        metric,
                        tags,
                        value,
                    });
                }
            }
        }
        out
    }
}
