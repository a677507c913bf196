//! The retry policy of an output instance: how many attempts, how long to wait between them
//! (exponential backoff with full jitter, or the destination's `Retry-After`), and when an
//! alert is too old to try again.

use std::time::Duration;

use falconer_config::CommonSettings;
use falconer_metrics::DropReason;

use crate::error::{Retry, SendError};
use crate::kind::DeliveryDefaults;

/// Default `retry.initialbackoff`.
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(500);
/// Default `retry.maxbackoff`.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Default `retry.maxage` without the spool.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(10 * 60);
/// Default `retry.maxage` with the spool on: it is there to ride out outages.
pub const DEFAULT_SPOOLED_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// An instance's resolved retry settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per alert, the first included; 0 = unlimited (until `max_age`).
    pub max_attempts: u32,
    /// Ceiling of the first backoff.
    pub initial_backoff: Duration,
    /// Ceiling of every backoff.
    pub max_backoff: Duration,
    /// Age after which an alert is given up.
    pub max_age: Duration,
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Try again after this wait.
    RetryIn(Duration),
    /// Give up, for this reason.
    GiveUp(DropReason),
}

impl RetryPolicy {
    /// The instance's `retry.*` keys over the kind's defaults. With the spool on, the defaults
    /// keep retrying (no attempt limit, 24 h age limit): the spool is for riding out outages.
    pub fn resolve(common: &CommonSettings, defaults: &DeliveryDefaults) -> Self {
        let spooled = common.spool.enabled;
        let r = &common.retry;
        let initial_backoff = r.initialbackoff.map_or(DEFAULT_INITIAL_BACKOFF, |d| d.0);
        RetryPolicy {
            max_attempts: r
                .maxattempts
                .unwrap_or(if spooled { 0 } else { defaults.max_attempts }),
            initial_backoff,
            max_backoff: r
                .maxbackoff
                .map_or(DEFAULT_MAX_BACKOFF.max(initial_backoff), |d| d.0),
            max_age: r.maxage.map_or(
                if spooled {
                    DEFAULT_SPOOLED_MAX_AGE
                } else {
                    DEFAULT_MAX_AGE
                },
                |d| d.0,
            ),
        }
    }

    /// Full-jitter backoff before retry number `retry` (1 for the first retry): a uniform
    /// random wait between 0 and `min(max_backoff, initial_backoff × 2^(retry−1))`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1).min(31)))
            .min(self.max_backoff);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::random_range(0..=nanos))
    }

    /// The decision after attempt number `attempts` failed with `error`, for alerts of which
    /// the oldest was accepted `age` ago.
    pub fn decide(&self, error: &SendError, attempts: u32, age: Duration) -> Decision {
        let wait = match error.retry() {
            Retry::Never => return Decision::GiveUp(DropReason::Rejected),
            Retry::After(after) => after,
            Retry::Backoff => self.backoff(attempts),
        };
        if self.max_attempts != 0 && attempts >= self.max_attempts {
            return Decision::GiveUp(DropReason::RetriesExhausted);
        }
        if age.saturating_add(wait) > self.max_age {
            return Decision::GiveUp(DropReason::MaxAge);
        }
        Decision::RetryIn(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use falconer_config::GoDuration;

    fn policy(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            max_age: Duration::from_secs(60),
        }
    }

    fn status(code: u16, retry_after: Option<u64>) -> SendError {
        SendError::Status {
            status: http::StatusCode::from_u16(code).unwrap(),
            body: "x".into(),
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn backoff_is_jittered_under_an_exponential_ceiling() {
        let p = policy(0);
        for retry in 1..=10 {
            let ceiling = Duration::from_millis(100 * 2u64.pow(retry - 1)).min(p.max_backoff);
            for _ in 0..200 {
                assert!(p.backoff(retry) <= ceiling, "retry {retry}");
            }
        }
        // Full jitter spreads the waits: not all equal.
        let waits: std::collections::BTreeSet<_> = (0..50).map(|_| p.backoff(3)).collect();
        assert!(waits.len() > 10);
        // Huge retry numbers neither overflow nor exceed the cap.
        assert!(p.backoff(u32::MAX) <= p.max_backoff);
    }

    #[test]
    fn decisions_follow_class_attempts_and_age() {
        let p = policy(3);
        let zero = Duration::ZERO;
        assert_eq!(
            p.decide(&status(400, None), 1, zero),
            Decision::GiveUp(DropReason::Rejected)
        );
        assert_eq!(
            p.decide(&status(429, Some(2)), 1, zero),
            Decision::RetryIn(Duration::from_secs(2))
        );
        assert!(matches!(
            p.decide(&status(503, None), 2, zero),
            Decision::RetryIn(_)
        ));
        assert_eq!(
            p.decide(&status(503, None), 3, zero),
            Decision::GiveUp(DropReason::RetriesExhausted)
        );
        assert_eq!(
            p.decide(&status(429, Some(30)), 1, Duration::from_secs(40)),
            Decision::GiveUp(DropReason::MaxAge)
        );
        // Unlimited attempts: only age ends it.
        assert!(matches!(
            policy(0).decide(&status(500, None), 1000, zero),
            Decision::RetryIn(_)
        ));
    }

    #[test]
    fn spool_changes_the_defaults_and_keys_override_them() {
        let mut common = CommonSettings::default();
        let d = DeliveryDefaults::REALTIME;
        assert_eq!(RetryPolicy::resolve(&common, &d).max_attempts, 5);
        assert_eq!(RetryPolicy::resolve(&common, &d).max_age, DEFAULT_MAX_AGE);
        common.spool.enabled = true;
        let spooled = RetryPolicy::resolve(&common, &d);
        assert_eq!(
            (spooled.max_attempts, spooled.max_age),
            (0, DEFAULT_SPOOLED_MAX_AGE)
        );
        common.retry.maxattempts = Some(2);
        common.retry.initialbackoff = Some(GoDuration(Duration::from_secs(60)));
        let p = RetryPolicy::resolve(&common, &d);
        assert_eq!(p.max_attempts, 2);
        // The default ceiling never undercuts an explicit initial backoff.
        assert_eq!(p.max_backoff, Duration::from_secs(60));
    }
}
