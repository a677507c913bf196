//! Rate-limited logging: at most one line per interval, saying how many were suppressed.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::time::Instant;

/// Lets one event through per interval and counts the rest.
#[derive(Debug)]
pub struct LogThrottle {
    start: Instant,
    interval_ms: u64,
    next_ms: AtomicU64,
    suppressed: AtomicU64,
}

impl LogThrottle {
    /// At most one log line per `interval_ms`.
    pub fn new(interval_ms: u64) -> Self {
        LogThrottle {
            start: Instant::now(),
            interval_ms,
            next_ms: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    /// `Some(n)` when this event should be logged (`n` events were suppressed since the
    /// last line), `None` when it should be counted silently.
    pub fn check(&self) -> Option<u64> {
        let now = self.start.elapsed().as_millis() as u64;
        let next = self.next_ms.load(Ordering::Relaxed);
        if now >= next
            && self
                .next_ms
                .compare_exchange(
                    next,
                    now + self.interval_ms,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            Some(self.suppressed.swap(0, Ordering::Relaxed))
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_line_per_interval() {
        let t = LogThrottle::new(1000);
        assert_eq!(t.check(), Some(0));
        assert_eq!(t.check(), None);
        assert_eq!(t.check(), None);
        tokio::time::advance(std::time::Duration::from_millis(1001)).await;
        assert_eq!(t.check(), Some(2));
    }
}
