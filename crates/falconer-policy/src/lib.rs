//! Falconer's alert policy, compiled once from the config and swapped whole on reload:
//!
//! 1. **Routing**: the `routes:` tree (tried in order; the first match stops unless it says
//!    `continue: true`) and `defaultroute` for alerts no route matched. An output named in
//!    any route or in `defaultroute` gets alerts only through them; an output named nowhere
//!    gets every alert, as in falcosidekick.
//! 2. **Per-output filters**: `minimumpriority` and `match` (a condition in Falco's syntax,
//!    see `falconer-expr`).
//! 3. **Silences**: an alert an active silence matches goes to no output, except the event
//!    store (`webui`), which gets it marked `falconer.silenced`.
//! 4. **Noise control**: `throttle`, `dedup` and `group` per route or per output
//!    ([`noise`]); what they hold back is counted and summarised, never dropped silently.
//!
//! [`Policy::decide`] gives each output's [`Decision`] for one alert with no allocation for
//! the common cases; [`Policy::explain`] says in words why each output gets an alert or not
//! (`falconer route`).

mod explain;
mod fields;
pub mod noise;
mod silence;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use falconer_config::{
    CommonSettings, Config, ConfigErrors, GlobalSettings, OutputEntry, RouteSettings,
};
use falconer_event::{Alert, Priority};
use falconer_expr::Expr;

pub use fields::{priority_rank, AlertFields, AlertSchema};
pub use noise::{Admit, Mode, NoiseControl};
pub use silence::{Silence, SilenceError, Silences};

/// Output kinds that keep every alert, silenced ones included (marked): the event store.
pub const KEEPS_SILENCED: &[&str] = &["webui"];

/// Output kinds that show alerts to people (chat, e-mail, incident tools): a `group` sends
/// them one alert listing the group. Every other kind gets the group's alerts themselves,
/// released together when the wait ends (a batch).
pub const SHOWS_MANY: &[&str] = &[
    "slack",
    "mattermost",
    "rocketchat",
    "googlechat",
    "discord",
    "teams",
    "webex",
    "telegram",
    "smtp",
    "alertmanager",
    "opsgenie",
    "pagerduty",
    "grafanaoncall",
    "stdout",
];

/// What one output does with one alert.
#[derive(Clone, Copy, Debug)]
pub enum Decision<'a> {
    /// Queue it.
    Send,
    /// Not for this output (`minimumpriority`, `match`, or no route selects it); not
    /// counted.
    Skip,
    /// An active silence matches it: counted; an output that keeps silenced alerts (the
    /// event store) gets it marked with the silence.
    Silenced(&'a Silence),
    /// Held back by a throttle, dedup or group (the label says which): counted, summarised.
    Suppressed(&'static str),
}

impl PartialEq for Decision<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Decision::Send, Decision::Send) | (Decision::Skip, Decision::Skip) => true,
            (Decision::Silenced(a), Decision::Silenced(b)) => a.id == b.id,
            (Decision::Suppressed(a), Decision::Suppressed(b)) => a == b,
            _ => false,
        }
    }
}

/// One output's part of the policy.
#[derive(Debug)]
pub struct OutputPolicy {
    /// The instance name.
    pub name: String,
    minimum: Option<Priority>,
    condition: Option<Expr>,
    noise: Vec<NoiseControl>,
    keeps_silenced: bool,
    shows_many: bool,
    /// Routes that name it (indices into the route list).
    via: Vec<usize>,
    in_default: bool,
}

impl OutputPolicy {
    /// Its throttle, dedup and group, in the order they apply.
    pub fn noise(&self) -> &[NoiseControl] {
        &self.noise
    }

    /// Whether silenced alerts still reach it (marked).
    pub fn keeps_silenced(&self) -> bool {
        self.keeps_silenced
    }
}

/// One branch of the routing tree.
#[derive(Debug)]
pub struct Route {
    /// `routes[2]`.
    pub path: String,
    condition: Option<Expr>,
    /// Output indices.
    outputs: Vec<usize>,
    continue_matching: bool,
    noise: Vec<NoiseControl>,
}

impl Route {
    /// Its throttle, dedup and group.
    pub fn noise(&self) -> &[NoiseControl] {
        &self.noise
    }

    /// The outputs (indices) it sends to.
    pub fn outputs(&self) -> &[usize] {
        &self.outputs
    }
}

/// The compiled policy.
#[derive(Debug, Default)]
pub struct Policy {
    outputs: Vec<OutputPolicy>,
    routes: Vec<Route>,
    config_silences: Vec<Silence>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Hit {
    Miss,
    Send,
    Held(&'static str),
}

/// Routes handled on the stack; more cost one allocation per alert.
const INLINE_ROUTES: usize = 32;

fn noise_of(
    scope: &str,
    path: &str,
    throttle: Option<&falconer_config::ThrottleSettings>,
    dedup: Option<&falconer_config::DedupSettings>,
    group: Option<&falconer_config::GroupSettings>,
    expand_groups: bool,
    errors: &mut ConfigErrors,
) -> Vec<NoiseControl> {
    let mut noise = Vec::new();
    let mut add = |made: Result<NoiseControl, (&'static str, String)>| match made {
        Ok(n) => noise.push(n),
        Err((key, message)) => errors.push(format!("{path}.{key}"), message),
    };
    if let Some(t) = throttle {
        add(NoiseControl::throttle(scope, t));
    }
    if let Some(d) = dedup {
        add(NoiseControl::dedup(scope, d));
    }
    if let Some(g) = group {
        add(NoiseControl::group(scope, g, expand_groups));
    }
    noise
}

fn condition(source: &str, path: &str, errors: &mut ConfigErrors) -> Option<Expr> {
    if source.trim().is_empty() {
        return None;
    }
    match Expr::parse(source, &AlertSchema) {
        Ok(e) => Some(e),
        Err(e) => {
            errors.push(format!("{path}.match"), e.to_string());
            None
        }
    }
}

fn output_policy(entry: &OutputEntry, errors: &mut ConfigErrors) -> OutputPolicy {
    let common: &CommonSettings = &entry.common;
    OutputPolicy {
        name: entry.name.clone(),
        minimum: common.minimum_priority(),
        condition: condition(&common.condition, &entry.path, errors),
        noise: noise_of(
            &entry.name,
            &entry.path,
            common.throttle.as_ref(),
            common.dedup.as_ref(),
            common.group.as_ref(),
            !SHOWS_MANY.contains(&entry.kind.as_str()),
            errors,
        ),
        keeps_silenced: KEEPS_SILENCED.contains(&entry.kind.as_str()),
        shows_many: SHOWS_MANY.contains(&entry.kind.as_str()),
        via: Vec::new(),
        in_default: false,
    }
}

impl Policy {
    /// Compiles the policy of `config` (its outputs in order); reports every problem with
    /// its path: a condition that does not parse (with the column and what was expected), a
    /// route or `defaultroute` naming an unknown output, a bad silence or noise setting.
    pub fn compile(config: &Config, now: DateTime<Utc>) -> Result<Policy, ConfigErrors> {
        Self::compile_for(&config.outputs, &config.global, now)
    }

    /// [`Policy::compile`] over output entries and the global settings (routes,
    /// `defaultroute`, silences).
    pub fn compile_for(
        entries: &[OutputEntry],
        global: &GlobalSettings,
        now: DateTime<Utc>,
    ) -> Result<Policy, ConfigErrors> {
        let mut errors = ConfigErrors::default();
        let mut outputs: Vec<OutputPolicy> = entries
            .iter()
            .map(|e| output_policy(e, &mut errors))
            .collect();
        let index = |name: &str| outputs.iter().position(|o| o.name == name);
        let mut routes = Vec::new();
        for (i, r) in global.routes.iter().enumerate() {
            let path = format!("routes[{i}]");
            let shows_many = |o: usize| outputs[o].shows_many;
            routes.push(compile_route(r, &path, &index, &shows_many, &mut errors));
        }
        let mut default = Vec::new();
        for (i, name) in global.defaultroute.iter().enumerate() {
            match index(name) {
                Some(o) => default.push(o),
                None => errors.push(
                    format!("defaultroute[{i}]"),
                    format!("unknown output {name:?}"),
                ),
            }
        }
        for (r, route) in routes.iter().enumerate() {
            for &o in &route.outputs {
                if !outputs[o].via.contains(&r) {
                    outputs[o].via.push(r);
                }
            }
        }
        for o in default {
            outputs[o].in_default = true;
        }
        let mut config_silences = Vec::new();
        for (i, s) in global.silences.iter().enumerate() {
            match Silence::new(
                format!("config-{i}"),
                &s.condition,
                &s.startsat,
                &s.endsat,
                &s.createdby,
                &s.comment,
                now,
            ) {
                Ok(silence) => config_silences.push(silence),
                Err(e) => errors.push(format!("silences[{i}].{}", e.key()), e.to_string()),
            }
        }
        errors.into_result(Policy {
            outputs,
            routes,
            config_silences,
        })
    }

    /// Output policies, in config order.
    pub fn outputs(&self) -> &[OutputPolicy] {
        &self.outputs
    }

    /// Routes, in order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The silences of the config file.
    pub fn config_silences(&self) -> &[Silence] {
        &self.config_silences
    }

    /// True when any output or route has a throttle, dedup or group.
    pub fn has_noise_control(&self) -> bool {
        self.outputs.iter().any(|o| !o.noise.is_empty())
            || self.routes.iter().any(|r| !r.noise.is_empty())
    }

    /// Calls `each(output index, decision)` for every output, for `alert` at `now` (`wall`
    /// for silences). Route noise controls are consulted once per alert; an output's own
    /// only when everything else lets the alert through. The `/test` alert goes everywhere.
    pub fn decide<'a>(
        &'a self,
        alert: &Arc<Alert>,
        silences: &'a Silences,
        now: Instant,
        wall: DateTime<Utc>,
        mut each: impl FnMut(usize, Decision<'a>),
    ) {
        if alert.is_test() {
            for i in 0..self.outputs.len() {
                each(i, Decision::Send);
            }
            return;
        }
        let mut inline = [Hit::Miss; INLINE_ROUTES];
        let mut heap = Vec::new();
        let hits: &mut [Hit] = if self.routes.len() <= INLINE_ROUTES {
            &mut inline[..self.routes.len()]
        } else {
            heap.resize(self.routes.len(), Hit::Miss);
            &mut heap
        };
        let fields = AlertFields(alert);
        let mut any_route = false;
        for (r, route) in self.routes.iter().enumerate() {
            if route
                .condition
                .as_ref()
                .is_some_and(|c| !c.matches(&fields))
            {
                continue;
            }
            any_route = true;
            hits[r] = match admit_all(&route.noise, alert, now) {
                None => Hit::Send,
                Some(label) => Hit::Held(label),
            };
            if !route.continue_matching {
                break;
            }
        }
        let silence = if silences.is_empty() {
            None
        } else {
            silences.matching(alert, wall)
        };
        for (i, output) in self.outputs.iter().enumerate() {
            let routed = if output.via.is_empty() && !output.in_default {
                Hit::Send
            } else {
                let mut hit = Hit::Miss;
                for &r in &output.via {
                    match hits[r] {
                        Hit::Send => {
                            hit = Hit::Send;
                            break;
                        }
                        Hit::Held(label) => hit = Hit::Held(label),
                        Hit::Miss => {}
                    }
                }
                if hit == Hit::Miss && !any_route && output.in_default {
                    Hit::Send
                } else {
                    hit
                }
            };
            let decision = match routed {
                Hit::Miss => Decision::Skip,
                _ if output.minimum.is_some_and(|m| alert.priority < m) => Decision::Skip,
                _ if output
                    .condition
                    .as_ref()
                    .is_some_and(|c| !c.matches(&fields)) =>
                {
                    Decision::Skip
                }
                Hit::Held(label) => Decision::Suppressed(label),
                Hit::Send => match silence {
                    Some(s) => Decision::Silenced(s),
                    None => match admit_all(&output.noise, alert, now) {
                        None => Decision::Send,
                        Some(label) => Decision::Suppressed(label),
                    },
                },
            };
            each(i, decision);
        }
    }

    /// Summaries and groups due at `now`, per output index (route summaries go to each of
    /// the route's outputs).
    pub fn expire(&self, now: Instant, mut each: impl FnMut(usize, Arc<Alert>)) {
        for (i, output) in self.outputs.iter().enumerate() {
            for n in &output.noise {
                for alert in n.expire(now) {
                    each(i, alert);
                }
            }
        }
        for route in &self.routes {
            for n in &route.noise {
                for alert in n.expire(now) {
                    for &o in &route.outputs {
                        each(o, alert.clone());
                    }
                }
            }
        }
    }

    /// When the next noise window closes, if any is open.
    pub fn next_due(&self) -> Option<Instant> {
        self.outputs
            .iter()
            .flat_map(|o| o.noise.iter())
            .chain(self.routes.iter().flat_map(|r| r.noise.iter()))
            .filter_map(NoiseControl::next_due)
            .min()
    }
}

/// Runs `alert` through each control in order; the label of the first that holds it.
fn admit_all(noise: &[NoiseControl], alert: &Arc<Alert>, now: Instant) -> Option<&'static str> {
    for n in noise {
        if n.admit(alert, now) == Admit::Hold {
            return Some(n.mode().label());
        }
    }
    None
}

/// A route's group lists its alerts in one when any of its outputs shows alerts to people.
fn compile_route(
    r: &RouteSettings,
    path: &str,
    index: &dyn Fn(&str) -> Option<usize>,
    shows_many: &dyn Fn(usize) -> bool,
    errors: &mut ConfigErrors,
) -> Route {
    let mut outputs = Vec::new();
    if r.outputs.is_empty() {
        errors.push(format!("{path}.outputs"), "must name at least one output");
    }
    for (j, name) in r.outputs.iter().enumerate() {
        match index(name) {
            Some(o) => outputs.push(o),
            None => errors.push(
                format!("{path}.outputs[{j}]"),
                format!("unknown output {name:?}"),
            ),
        }
    }
    let expand_groups = !outputs.iter().any(|&o| shows_many(o));
    Route {
        path: path.to_owned(),
        condition: condition(&r.condition, path, errors),
        outputs,
        continue_matching: r.continue_matching,
        noise: noise_of(
            path,
            path,
            r.throttle.as_ref(),
            r.dedup.as_ref(),
            r.group.as_ref(),
            expand_groups,
            errors,
        ),
    }
}
