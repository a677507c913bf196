//! What the web UI's Info page shows of this process: each output's worker, circuit
//! breaker, queue and deliveries (read from the process's metrics when the page is viewed),
//! and the config file's routes and silences.

use falconer_config::GlobalSettings;
use falconer_webui::{ConfigSilence, OutputStatus, RouteStatus, RuntimeInfo, RuntimeStatus};

/// The routes, default route and silences of the config file as the Info page lists them.
pub(crate) fn policy_status(global: &GlobalSettings) -> RuntimeStatus {
    let noise = |r: &falconer_config::RouteSettings| {
        let mut out = Vec::new();
        if let Some(t) = &r.throttle {
            out.push(format!("throttle: {} per {}", t.max, t.window));
        }
        if let Some(d) = &r.dedup {
            out.push(format!("dedup: {}", d.window));
        }
        if let Some(g) = &r.group {
            out.push(format!("group: wait {}", g.wait));
        }
        out
    };
    RuntimeStatus {
        outputs: Vec::new(),
        routes: global
            .routes
            .iter()
            .map(|r| RouteStatus {
                condition: r.condition.clone(),
                outputs: r.outputs.clone(),
                continue_matching: r.continue_matching,
                noise: noise(r),
            })
            .collect(),
        default_route: global.defaultroute.clone(),
        silences: global
            .silences
            .iter()
            .map(|s| ConfigSilence {
                condition: s.condition.clone(),
                starts_at: s.startsat.clone(),
                ends_at: s.endsat.clone(),
                created_by: s.createdby.clone(),
                comment: s.comment.clone(),
            })
            .collect(),
    }
}

/// Reads the outputs' gauges and counters (the metrics the dispatcher keeps per output).
pub(crate) type OutputReader = Box<dyn Fn() -> Vec<OutputStatus> + Send + Sync>;

/// What the Info page shows of this process: each output's worker, breaker, queue and
/// deliveries read from the process's metrics when the page is viewed, and the routing
/// policy and silences of the config file as it was when the UI started.
pub(crate) struct ProcessInfo {
    pub(crate) policy: RuntimeStatus,
    pub(crate) outputs: OutputReader,
}

impl std::fmt::Debug for ProcessInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessInfo")
            .field("routes", &self.policy.routes.len())
            .finish_non_exhaustive()
    }
}

impl RuntimeInfo for ProcessInfo {
    fn status(&self) -> RuntimeStatus {
        RuntimeStatus {
            outputs: (self.outputs)(),
            ..self.policy.clone()
        }
    }
}

/// The state of `names` (in that order, then any other output the metrics know: one a live
/// reload added) from the metrics registry: `falconer_output_up`,
/// `_breaker_state`, `_queue_depth`, `_in_flight`, `_spool_bytes`, `_deliveries_total` and
/// `_dropped_total` (queue or spool full), by their `output` label.
pub(crate) fn output_reader(
    names: Vec<String>,
    metrics: &falconer_metrics::Metrics,
) -> OutputReader {
    let registry = metrics.registry().clone();
    Box::new(move || {
        let mut out: Vec<OutputStatus> = names
            .iter()
            .map(|name| OutputStatus {
                name: name.clone(),
                ..OutputStatus::default()
            })
            .collect();
        for family in registry.gather() {
            let family_name = family.name().to_owned();
            for m in family.get_metric() {
                let label = |key: &str| {
                    m.get_label()
                        .iter()
                        .find(|l| l.name() == key)
                        .map(|l| l.value().to_owned())
                };
                let Some(name) = label("output") else {
                    continue;
                };
                // Outputs added by a live reload after the UI started come after the others.
                let i = match out.iter().position(|o| o.name == name) {
                    Some(i) => i,
                    None => {
                        out.push(OutputStatus {
                            name,
                            ..OutputStatus::default()
                        });
                        out.len() - 1
                    }
                };
                let o = &mut out[i];
                if let Some(kind) = label("kind") {
                    o.kind = kind;
                }
                let gauge = m.get_gauge().get_value() as i64;
                let counter = m.get_counter().get_value() as u64;
                match family_name.as_str() {
                    "falconer_output_up" => o.running = Some(gauge == 1),
                    "falconer_output_breaker_state" => {
                        o.breaker = Some(
                            match gauge {
                                0 => "closed",
                                1 => "open",
                                _ => "half-open",
                            }
                            .to_owned(),
                        );
                    }
                    "falconer_output_queue_depth" => o.queue_depth = Some(gauge),
                    "falconer_output_in_flight" => o.in_flight = Some(gauge),
                    "falconer_output_spool_bytes" => o.spool_bytes = Some(gauge),
                    "falconer_output_deliveries_total" => match label("status").as_deref() {
                        Some("ok") => o.delivered = Some(counter),
                        Some("error") => o.failed = Some(counter),
                        _ => {}
                    },
                    // Overflow only: the other reasons are counted as failed.
                    "falconer_output_dropped_total" => {
                        let overflow = matches!(
                            label("reason").as_deref(),
                            Some("queue_full" | "spool_full")
                        );
                        o.dropped =
                            Some(o.dropped.unwrap_or(0) + if overflow { counter } else { 0 });
                    }
                    _ => {}
                }
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outputs_state_comes_from_the_metrics() {
        let (metrics, _) = falconer_metrics::Metrics::new(&[]).expect("metrics");
        let slack = metrics.output("slack-oncall", "slack", "https://hooks.slack.com");
        slack.up.set(1);
        slack.breaker.set(1);
        slack.queue_depth.set(37);
        slack.in_flight.set(2);
        slack.delivered(12);
        slack.dropped(3, falconer_metrics::DropReason::RetriesExhausted);
        slack.dropped(5, falconer_metrics::DropReason::QueueFull);
        let ui = metrics.output("ui", "webui", "store");
        ui.up.set(0);
        metrics
            .output("added-later", "webhook", "http://x")
            .up
            .set(1);
        let reader = output_reader(vec!["ui".into(), "slack-oncall".into()], &metrics);
        let got = reader();
        assert_eq!(got.len(), 3);
        assert_eq!(got[2].name, "added-later");
        assert_eq!(got[2].running, Some(true));
        assert_eq!(
            got[1],
            OutputStatus {
                name: "slack-oncall".into(),
                kind: "slack".into(),
                running: Some(true),
                breaker: Some("open".into()),
                queue_depth: Some(37),
                in_flight: Some(2),
                spool_bytes: Some(0),
                delivered: Some(12),
                failed: Some(3),
                dropped: Some(5),
            }
        );
        assert_eq!(got[0].name, "ui");
        assert_eq!(got[0].kind, "webui");
        assert_eq!(got[0].running, Some(false));
        assert_eq!(got[0].breaker.as_deref(), Some("closed"));
    }

    #[test]
    fn policy_of_the_config_file() {
        let global: GlobalSettings = serde_json::from_value(json!({
            "routes": [
                {"match": "priority <= critical", "outputs": ["slack"], "continue": true,
                 "throttle": {"max": 5, "window": "10m"}},
                {"outputs": ["ui"]}
            ],
            "defaultroute": ["ui"],
            "silences": [{"match": "hostname = ci", "endsAt": "2030-01-01T00:00:00Z", "comment": "CI"}]
        }))
        .expect("settings");
        let p = policy_status(&global);
        assert_eq!(p.routes.len(), 2);
        assert_eq!(p.routes[0].condition, "priority <= critical");
        assert!(p.routes[0].continue_matching);
        assert_eq!(p.routes[0].noise, ["throttle: 5 per 600s"]);
        assert_eq!(p.routes[1].outputs, ["ui"]);
        assert_eq!(p.default_route, ["ui"]);
        assert_eq!(p.silences[0].condition, "hostname = ci");
        assert_eq!(p.silences[0].comment, "CI");
    }
}
