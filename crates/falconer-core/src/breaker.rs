//! The circuit breaker of an output instance. After `failures` consecutive failed attempts
//! it opens: attempts wait instead of hammering the destination. Every `cooldown` one probe
//! attempt goes through (half-open); its success closes the breaker, its failure re-opens it.
//! Waiting for the breaker does not use up an alert's attempts.

use std::sync::Mutex;
use std::time::Duration;

use falconer_metrics::{BreakerState, OutputMetrics};
use tokio::sync::Notify;
use tokio::time::Instant;
use tracing::{info, warn};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen,
}

/// One output instance's breaker.
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<State>,
    changed: Notify,
    metrics: Option<OutputMetrics>,
}

impl std::fmt::Debug for Breaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Breaker")
            .field("threshold", &self.threshold)
            .field("state", &*self.lock())
            .finish()
    }
}

/// What [`Breaker::admit`] let through.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// A normal attempt.
    Normal,
    /// The probe attempt of a half-open breaker.
    Probe,
}

impl Breaker {
    /// A breaker opening after `threshold` consecutive failures (`0` = never), probing every
    /// `cooldown`.
    pub fn new(threshold: u32, cooldown: Duration, metrics: Option<&OutputMetrics>) -> Self {
        if let Some(m) = metrics {
            m.breaker.set(BreakerState::Closed as i64);
        }
        Breaker {
            threshold,
            cooldown,
            state: Mutex::new(State::Closed { failures: 0 }),
            changed: Notify::new(),
            metrics: metrics.cloned(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set(&self, state: &mut State, new: State) {
        *state = new;
        let shown = match new {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { .. } => BreakerState::Open,
            State::HalfOpen => BreakerState::HalfOpen,
        };
        if let Some(m) = &self.metrics {
            m.breaker.set(shown as i64);
        }
    }

    /// True while attempts are held back (open or probing).
    pub fn is_open(&self) -> bool {
        !matches!(*self.lock(), State::Closed { .. })
    }

    /// Waits until an attempt may be made.
    pub async fn admit(&self) -> Admission {
        if self.threshold == 0 {
            return Admission::Normal;
        }
        loop {
            // Registered before the state is read, so a change in between is not missed.
            let changed = self.changed.notified();
            let wait_until = {
                let mut state = self.lock();
                match *state {
                    State::Closed { .. } => return Admission::Normal,
                    State::Open { until } if Instant::now() >= until => {
                        self.set(&mut state, State::HalfOpen);
                        return Admission::Probe;
                    }
                    State::Open { until } => until,
                    // The probe's outcome wakes us; the cooldown bounds the wait should the
                    // probe be cancelled.
                    State::HalfOpen => Instant::now() + self.cooldown,
                }
            };
            tokio::select! {
                () = changed => {}
                () = tokio::time::sleep_until(wait_until) => {
                    let mut state = self.lock();
                    if *state == State::HalfOpen {
                        // The probe never reported (cancelled): probe again.
                        self.set(&mut state, State::Open { until: Instant::now() });
                    }
                }
            }
        }
    }

    /// Reports an attempt's outcome (`true`: the destination answered with success, even a
    /// partial one).
    pub fn record(&self, success: bool) {
        if self.threshold == 0 {
            return;
        }
        let mut state = self.lock();
        let before = *state;
        match (before, success) {
            (State::Closed { .. }, true) => {
                self.set(&mut state, State::Closed { failures: 0 });
            }
            (_, true) => {
                self.set(&mut state, State::Closed { failures: 0 });
                info!("Circuit breaker closed: the destination answers again.");
                self.changed.notify_waiters();
            }
            (State::Closed { failures }, false) if failures + 1 < self.threshold => {
                self.set(
                    &mut state,
                    State::Closed {
                        failures: failures + 1,
                    },
                );
            }
            (State::Closed { .. } | State::HalfOpen, false) => {
                let until = Instant::now() + self.cooldown;
                self.set(&mut state, State::Open { until });
                if matches!(before, State::Closed { .. }) {
                    warn!(
                        failures = self.threshold,
                        cooldown = ?self.cooldown,
                        "Circuit breaker opened: holding attempts back, probing once per cooldown."
                    );
                }
                self.changed.notify_waiters();
            }
            // A failure reported by an attempt admitted before the breaker opened.
            (State::Open { .. }, false) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn opens_after_threshold_probes_after_cooldown_and_closes_on_success() {
        let b = Breaker::new(3, Duration::from_secs(10), None);
        for _ in 0..2 {
            assert_eq!(b.admit().await, Admission::Normal);
            b.record(false);
        }
        assert!(!b.is_open());
        b.record(false);
        assert!(b.is_open());

        let start = Instant::now();
        assert_eq!(b.admit().await, Admission::Probe);
        assert!(start.elapsed() >= Duration::from_secs(10));

        // A failed probe re-opens for another cooldown.
        b.record(false);
        let start = Instant::now();
        assert_eq!(b.admit().await, Admission::Probe);
        assert!(start.elapsed() >= Duration::from_secs(10));
        b.record(true);
        assert!(!b.is_open());
        assert_eq!(b.admit().await, Admission::Normal);
    }

    #[tokio::test(start_paused = true)]
    async fn only_one_probe_while_half_open_others_wait_for_its_outcome() {
        let b = std::sync::Arc::new(Breaker::new(1, Duration::from_secs(5), None));
        b.record(false);
        assert_eq!(b.admit().await, Admission::Probe);
        let waiter = {
            let b = b.clone();
            tokio::spawn(async move { b.admit().await })
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!waiter.is_finished());
        b.record(true);
        assert_eq!(waiter.await.unwrap(), Admission::Normal);
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_threshold_never_opens() {
        let b = Breaker::new(0, Duration::from_secs(5), None);
        for _ in 0..100 {
            b.record(false);
        }
        assert!(!b.is_open());
        assert_eq!(b.admit().await, Admission::Normal);
    }
}
