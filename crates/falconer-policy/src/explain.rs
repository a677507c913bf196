//! `falconer route`: for one alert, every output with "sent" or why not, in words. Noise
//! controls are described, not consulted (their windows are empty in a fresh process).

use chrono::{DateTime, Utc};
use falconer_event::Alert;

use crate::fields::AlertFields;
use crate::noise::{human_mode, NoiseControl};
use crate::{Policy, Silences};

/// One output's verdict for one alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The output instance.
    pub output: String,
    /// Whether it would be sent.
    pub sent: bool,
    /// `sent (via routes[1])`, `not sent: minimumpriority is critical`, …
    pub reason: String,
}

impl Policy {
    /// Why each output gets `alert` or not, at `wall` for silences.
    pub fn explain(
        &self,
        alert: &Alert,
        silences: &Silences,
        wall: DateTime<Utc>,
    ) -> Vec<Explanation> {
        let fields = AlertFields(alert);
        let mut matched = vec![false; self.routes.len()];
        let mut any_route = false;
        for (r, route) in self.routes.iter().enumerate() {
            if route
                .condition
                .as_ref()
                .is_some_and(|c| !c.matches(&fields))
            {
                continue;
            }
            matched[r] = true;
            any_route = true;
            if !route.continue_matching {
                break;
            }
        }
        let silence = silences.matching(alert, wall);
        self.outputs
            .iter()
            .map(|o| {
                let not = |reason: String| Explanation {
                    output: o.name.clone(),
                    sent: false,
                    reason: format!("not sent: {reason}"),
                };
                let via: Vec<&str> = o
                    .via
                    .iter()
                    .filter(|&&r| matched[r])
                    .map(|&r| self.routes[r].path.as_str())
                    .collect();
                let routed = o.via.is_empty() && !o.in_default
                    || !via.is_empty()
                    || (!any_route && o.in_default);
                if !routed {
                    return not(if any_route {
                        "no route that matched names it".into()
                    } else {
                        "no route matched and it is not in defaultroute".into()
                    });
                }
                if let Some(min) = o.minimum.filter(|m| alert.priority < *m) {
                    return not(format!(
                        "priority {} is below its minimumpriority {}",
                        alert.priority.as_lower_str(),
                        min.as_lower_str()
                    ));
                }
                if let Some(c) = &o.condition {
                    if let Some(clause) = c.failing_clause(&fields) {
                        return not(format!("its match failed at `{clause}`"));
                    }
                }
                if let Some(s) = silence {
                    let what = format!(
                        "silenced by {} until {} ({})",
                        s.id,
                        s.ends_at.to_rfc3339(),
                        if s.comment.is_empty() {
                            "no comment"
                        } else {
                            &s.comment
                        }
                    );
                    if o.keeps_silenced {
                        return Explanation {
                            output: o.name.clone(),
                            sent: true,
                            reason: format!("sent, marked {what}"),
                        };
                    }
                    return not(what);
                }
                let mut reason = String::from("sent");
                if !via.is_empty() {
                    reason.push_str(&format!(" (via {})", via.join(", ")));
                } else if o.in_default {
                    reason.push_str(" (via defaultroute)");
                }
                let controls: Vec<String> = o
                    .via
                    .iter()
                    .filter(|&&r| matched[r])
                    .flat_map(|&r| self.routes[r].noise.iter())
                    .chain(o.noise.iter())
                    .map(NoiseControl::describe)
                    .collect();
                if !controls.is_empty() {
                    reason.push_str(&format!("; subject to {}", controls.join(", ")));
                }
                Explanation {
                    output: o.name.clone(),
                    sent: true,
                    reason,
                }
            })
            .collect()
    }
}

impl NoiseControl {
    /// `throttle (1 per 10m)`, `dedup (5m)`, `group (30s)`.
    pub fn describe(&self) -> String {
        human_mode(self.mode(), self.window())
    }
}
