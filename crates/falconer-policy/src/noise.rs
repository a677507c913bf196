//! Noise control for an output or a route: `throttle` (at most `max` per key per window),
//! `dedup` (once per key per window) and `group` (collect for `wait`, send one). Nothing is
//! dropped silently: what is held back is counted, and when its window closes a summary
//! alert carrying the count (or the grouped alerts) goes to the same destination.
//!
//! Pure state machines: the caller passes the time, so tests run on any clock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use falconer_config::{DedupSettings, GroupSettings, ThrottleSettings};
use falconer_event::{alert_to_template_value, Alert, GoTemplate, Priority};
use serde_json::Value;

/// Keys tracked at once per control; past this, alerts with a new key pass unthrottled
/// (and are counted as such) rather than growing memory without bound.
pub const MAX_KEYS: usize = 100_000;

/// What a control does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// At most `max` per key per window.
    Throttle {
        /// Alerts sent per key per window.
        max: u32,
    },
    /// Once per key per window.
    Dedup,
    /// Collect per key for the window, then send one alert listing them.
    Group {
        /// Alerts listed at most; the rest are counted.
        max_alerts: usize,
    },
}

impl Mode {
    /// The `reason` label of `falconer_alerts_suppressed_total`.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Throttle { .. } => "throttle",
            Mode::Dedup => "dedup",
            Mode::Group { .. } => "group",
        }
    }
}

/// How an alert's key is made.
#[derive(Debug)]
enum Key {
    /// `rule hostname` (throttle's default).
    RuleHost,
    /// `rule hostname output` (dedup's default).
    RuleHostOutput,
    /// `rule` (group's default).
    Rule,
    /// A Go template over the alert.
    Template(GoTemplate),
}

impl Key {
    fn parse(source: &str, default: Key) -> Result<Key, String> {
        if source.trim().is_empty() {
            return Ok(default);
        }
        GoTemplate::parse(source)
            .map(Key::Template)
            .map_err(|e| format!("invalid template: {e}"))
    }

    fn of(&self, alert: &Alert) -> String {
        match self {
            Key::RuleHost => format!("{} {}", alert.rule, alert.hostname),
            Key::RuleHostOutput => {
                format!("{} {} {}", alert.rule, alert.hostname, alert.output)
            }
            Key::Rule => alert.rule.clone(),
            Key::Template(t) => t
                .render(&alert_to_template_value(alert))
                .unwrap_or_else(|e| format!("<template error: {e}>")),
        }
    }
}

/// What to do with one alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Send it now.
    Send,
    /// Held back (counted, or collected into a group); a summary follows.
    Hold,
}

#[derive(Debug)]
struct Slot {
    key: String,
    opened: Instant,
    sent: u32,
    held: u64,
    last: Arc<Alert>,
    top: Priority,
    grouped: Vec<Arc<Alert>>,
}

#[derive(Debug, Default)]
struct State {
    slots: HashMap<String, Slot>,
    closed: Vec<Slot>,
}

/// One throttle, dedup or group, with its windows.
#[derive(Debug)]
pub struct NoiseControl {
    mode: Mode,
    window: Duration,
    key: Key,
    scope: String,
    /// A group releases its alerts one by one (a batch) instead of one alert listing them:
    /// for destinations that store alerts rather than show them to people.
    expand: bool,
    state: Mutex<State>,
}

impl NoiseControl {
    /// `throttle:` of `scope` (an output name or `routes[2]`).
    pub fn throttle(scope: &str, s: &ThrottleSettings) -> Result<Self, (&'static str, String)> {
        if s.max == 0 {
            return Err(("throttle.max", "must be at least 1".into()));
        }
        Self::new(
            scope,
            Mode::Throttle { max: s.max },
            s.window.0,
            &s.key,
            Key::RuleHost,
        )
        .map_err(|(k, m)| {
            (
                if k == "key" {
                    "throttle.key"
                } else {
                    "throttle.window"
                },
                m,
            )
        })
    }

    /// `dedup:` of `scope`.
    pub fn dedup(scope: &str, s: &DedupSettings) -> Result<Self, (&'static str, String)> {
        Self::new(scope, Mode::Dedup, s.window.0, &s.key, Key::RuleHostOutput).map_err(|(k, m)| {
            (
                if k == "key" {
                    "dedup.key"
                } else {
                    "dedup.window"
                },
                m,
            )
        })
    }

    /// `group:` of `scope`: one alert listing the group (for chat, e-mail and incident
    /// tools), or with `expand` the group's alerts themselves, released together when the
    /// wait ends (for stores and buses, which batch them as usual).
    pub fn group(
        scope: &str,
        s: &GroupSettings,
        expand: bool,
    ) -> Result<Self, (&'static str, String)> {
        if s.maxalerts == 0 {
            return Err(("group.maxalerts", "must be at least 1".into()));
        }
        let mode = Mode::Group {
            max_alerts: s.maxalerts,
        };
        let made = Self::new(scope, mode, s.wait.0, &s.key, Key::Rule).map_err(|(k, m)| {
            (
                if k == "key" {
                    "group.key"
                } else {
                    "group.wait"
                },
                m,
            )
        });
        made.map(|mut n| {
            n.expand = expand;
            n
        })
    }

    /// Whether a group releases its alerts themselves rather than one listing them.
    pub fn expands(&self) -> bool {
        self.expand
    }

    fn new(
        scope: &str,
        mode: Mode,
        window: Duration,
        key: &str,
        default: Key,
    ) -> Result<Self, (&'static str, String)> {
        if window.is_zero() {
            return Err(("window", "must be greater than 0".into()));
        }
        Ok(NoiseControl {
            mode,
            window,
            key: Key::parse(key, default).map_err(|m| ("key", m))?,
            scope: scope.to_owned(),
            expand: false,
            state: Mutex::new(State::default()),
        })
    }

    /// What it does.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Its window (`wait` for a group).
    pub fn window(&self) -> Duration {
        self.window
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Decides for `alert` at `now`.
    pub fn admit(&self, alert: &Arc<Alert>, now: Instant) -> Admit {
        let key = self.key.of(alert);
        let mut state = self.lock();
        if let Some(slot) = state.slots.get(&key) {
            if now >= slot.opened + self.window {
                if let Some(done) = state.slots.remove(&key) {
                    state.closed.push(done);
                }
            }
        }
        if !state.slots.contains_key(&key) && state.slots.len() >= MAX_KEYS {
            return Admit::Send;
        }
        let slot = state.slots.entry(key.clone()).or_insert_with(|| Slot {
            key,
            opened: now,
            sent: 0,
            held: 0,
            last: alert.clone(),
            top: alert.priority,
            grouped: Vec::new(),
        });
        match self.mode {
            Mode::Throttle { max } if slot.sent < max => {
                slot.sent += 1;
                Admit::Send
            }
            Mode::Dedup if slot.sent == 0 => {
                slot.sent = 1;
                Admit::Send
            }
            Mode::Throttle { .. } | Mode::Dedup => {
                slot.held += 1;
                slot.last = alert.clone();
                slot.top = slot.top.max(alert.priority);
                Admit::Hold
            }
            Mode::Group { max_alerts } => {
                if slot.grouped.len() < max_alerts {
                    slot.grouped.push(alert.clone());
                } else if self.expand {
                    // A full batch: later ones go at once rather than being held uncounted.
                    return Admit::Send;
                } else {
                    slot.held += 1;
                }
                slot.top = slot.top.max(alert.priority);
                Admit::Hold
            }
        }
    }

    /// Closes the windows over at `now` and returns what must be sent for them: a summary
    /// for each throttle/dedup window that held alerts back, the collected alert(s) of each
    /// group.
    pub fn expire(&self, now: Instant) -> Vec<Arc<Alert>> {
        let mut state = self.lock();
        let window = self.window;
        let due: Vec<String> = state
            .slots
            .iter()
            .filter(|(_, s)| now >= s.opened + window)
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            if let Some(slot) = state.slots.remove(&key) {
                state.closed.push(slot);
            }
        }
        let closed = std::mem::take(&mut state.closed);
        drop(state);
        closed
            .into_iter()
            .flat_map(|slot| self.settle(slot))
            .collect()
    }

    /// When the next window closes.
    pub fn next_due(&self) -> Option<Instant> {
        let state = self.lock();
        if !state.closed.is_empty() {
            return Some(Instant::now());
        }
        state.slots.values().map(|s| s.opened + self.window).min()
    }

    /// Alerts waiting in groups or counted in open windows (for the shutdown report).
    pub fn pending(&self) -> u64 {
        let state = self.lock();
        state
            .slots
            .values()
            .chain(state.closed.iter())
            .map(|s| s.held + s.grouped.len() as u64)
            .sum()
    }

    fn settle(&self, slot: Slot) -> Vec<Arc<Alert>> {
        if self.expand && matches!(self.mode, Mode::Group { .. }) {
            return slot.grouped;
        }
        self.summarise(slot).map(Arc::new).into_iter().collect()
    }

    fn summarise(&self, slot: Slot) -> Option<Alert> {
        match self.mode {
            Mode::Throttle { .. } | Mode::Dedup if slot.held == 0 => None,
            Mode::Throttle { max } => Some(self.summary(
                &slot,
                format!(
                    "{} more alert(s) held back by throttle ({max} per {}) on {} for \"{}\"; the last: {}",
                    slot.held,
                    human(self.window),
                    self.scope,
                    slot.key,
                    slot.last.output
                ),
            )),
            Mode::Dedup => Some(self.summary(
                &slot,
                format!(
                    "{} repeat(s) of this alert within {} were not sent again (dedup on {}): {}",
                    slot.held,
                    human(self.window),
                    self.scope,
                    slot.last.output
                ),
            )),
            Mode::Group { .. } => {
                if slot.grouped.len() == 1 && slot.held == 0 {
                    return slot.grouped.first().map(|a| (**a).clone());
                }
                let first = slot.grouped.first()?;
                let mut text = format!(
                    "{} alerts grouped by \"{}\" within {} on {}:",
                    slot.grouped.len() as u64 + slot.held,
                    slot.key,
                    human(self.window),
                    self.scope
                );
                for a in &slot.grouped {
                    text.push_str("\n- ");
                    text.push_str(&a.output);
                }
                if slot.held > 0 {
                    text.push_str(&format!("\n… and {} more", slot.held));
                }
                let base = Slot {
                    key: slot.key.clone(),
                    opened: slot.opened,
                    sent: 0,
                    held: slot.grouped.len() as u64 + slot.held,
                    last: first.clone(),
                    top: slot.top,
                    grouped: Vec::new(),
                };
                Some(self.summary(&base, text))
            }
        }
    }

    fn summary(&self, slot: &Slot, output: String) -> Alert {
        let last = &slot.last;
        let mut fields = last.output_fields.clone();
        let count_key = match self.mode {
            Mode::Group { .. } => "falconer.grouped",
            _ => "falconer.suppressed",
        };
        fields.insert(count_key.into(), Value::from(slot.held));
        fields.insert("falconer.reason".into(), Value::from(self.mode.label()));
        fields.insert("falconer.key".into(), Value::from(slot.key.clone()));
        fields.insert("falconer.window".into(), Value::from(human(self.window)));
        let mut tags = last.tags.clone();
        tags.push("falconer_summary".into());
        tags.sort();
        tags.dedup();
        let mut alert = Alert::new(
            output,
            slot.top,
            last.rule.clone(),
            falconer_event::now(),
            fields,
            last.source.clone(),
            tags,
            last.hostname.clone(),
        );
        alert.uuid = uuid::Uuid::new_v4().to_string();
        alert
    }
}

/// `10m`, `30s`, `1h30m`, `500ms`.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// A control in words: `throttle (1 per 10m)`, `dedup (5m)`, `group (30s)`.
pub fn human_mode(mode: Mode, window: Duration) -> String {
    match mode {
        Mode::Throttle { max } => format!("throttle ({max} per {})", human(window)),
        Mode::Dedup => format!("dedup ({})", human(window)),
        Mode::Group { .. } => format!("group ({})", human(window)),
    }
}
