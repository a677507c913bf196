//! What the core gave up on for the store (queue full, retries exhausted, …): counted per
//! minute and reason in memory on the ingest path (no I/O, no waiting), and added to the
//! store's drop table every second, so the UI of every replica sharing the store can say
//! that alerts are missing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use falconer_core::Alert;
use falconer_webui::{minute_of, DropCount, Store};

/// How often counts are written.
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Distinct (minute, reason) pairs held at most; beyond it, counts go to the current minute
/// (alert times are the sender's, so their minutes are not bounded).
const MAX_PENDING: usize = 4096;

type Pending = HashMap<(i64, &'static str), u64>;

/// Counts of alerts not stored, waiting to be written.
pub(crate) struct DropRecorder {
    store: Store,
    output: String,
    pending: Mutex<Pending>,
    /// Whether the last write failed (its error was logged once).
    failing: AtomicBool,
}

impl std::fmt::Debug for DropRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DropRecorder")
            .field("output", &self.output)
            .finish_non_exhaustive()
    }
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

impl DropRecorder {
    /// A recorder for `store`, written to every second by a task that ends with it.
    pub(crate) fn start(store: Store, output: String) -> Arc<DropRecorder> {
        let recorder = Arc::new(DropRecorder {
            store,
            output,
            pending: Mutex::new(HashMap::new()),
            failing: AtomicBool::new(false),
        });
        let weak = Arc::downgrade(&recorder);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(FLUSH_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(recorder) = weak.upgrade() else {
                    break;
                };
                recorder.flush().await;
            }
        });
        recorder
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn add(pending: &mut Pending, minute: i64, reason: &'static str, n: u64) {
        let key = if pending.len() >= MAX_PENDING && !pending.contains_key(&(minute, reason)) {
            (minute_of(now_us()), reason)
        } else {
            (minute, reason)
        };
        let count = pending.entry(key).or_default();
        *count = count.saturating_add(n);
    }

    /// Counts `alerts` as not stored for `reason`, in the minute of each alert's time.
    pub(crate) fn record(&self, alerts: &[Arc<Alert>], reason: &'static str) {
        let mut pending = self.pending();
        for a in alerts {
            Self::add(
                &mut pending,
                minute_of(a.time.timestamp_micros()),
                reason,
                1,
            );
        }
    }

    fn take(&self) -> Vec<((i64, &'static str), u64)> {
        std::mem::take(&mut *self.pending()).into_iter().collect()
    }

    fn rows(taken: &[((i64, &'static str), u64)]) -> Vec<DropCount> {
        taken
            .iter()
            .map(|((minute_us, reason), count)| DropCount {
                minute_us: *minute_us,
                reason: (*reason).to_owned(),
                count: *count,
            })
            .collect()
    }

    /// Writes what is pending; on failure it is kept for the next try.
    pub(crate) async fn flush(&self) {
        let taken = self.take();
        if taken.is_empty() {
            return;
        }
        match self.store.record_drops(&Self::rows(&taken)).await {
            Ok(()) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!(output = %self.output, "drop counts written to the UI store again");
                }
            }
            Err(e) => {
                if !self.failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(output = %self.output, error = %e,
                        "cannot write drop counts to the UI store; keeping them to retry");
                }
                let mut pending = self.pending();
                for ((minute, reason), n) in taken {
                    Self::add(&mut pending, minute, reason, n);
                }
            }
        }
    }
}

impl Drop for DropRecorder {
    /// Writes the last counts (at shutdown the final ones come from the drain) when a
    /// runtime is still there to do it.
    fn drop(&mut self) {
        let counts = Self::rows(&self.take());
        if counts.is_empty() {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let store = self.store.clone();
            rt.spawn(async move {
                if let Err(e) = store.record_drops(&counts).await {
                    tracing::warn!(error = %e, "cannot write the last drop counts to the UI store");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use falconer_webui::{open_store, StoreSettings};

    async fn store(dir: &std::path::Path) -> Store {
        let s = StoreSettings {
            path: dir.join("webui.sqlite").display().to_string(),
            ..StoreSettings::default()
        };
        open_store(&s).await.expect("store")
    }

    fn alert_at(minute: i64, n: u128) -> Arc<Alert> {
        let mut a = (*falconer_testkit::enriched(falconer_testkit::CONFIGMAP_ALERT, n)).clone();
        a.time = chrono::DateTime::from_timestamp_micros(minute * 60_000_000 + 1_000)
            .expect("time")
            .fixed_offset();
        Arc::new(a)
    }

    #[tokio::test]
    async fn counts_reach_the_store_per_minute_and_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path()).await;
        let rec = DropRecorder::start(store.clone(), "ui".into());
        let base = minute_of(now_us()) / 60_000_000;
        rec.record(&[alert_at(base, 1), alert_at(base, 2)], "queue_full");
        rec.record(&[alert_at(base - 1, 3)], "retries_exhausted");
        rec.flush().await;
        rec.record(&[alert_at(base, 4)], "queue_full");
        rec.flush().await;
        let all = store.drops(None, None).await.expect("drops");
        assert_eq!(all.total, 4);
        assert_eq!(all.by_reason.get("queue_full"), Some(&3));
        let this_minute = store
            .drops(Some(base * 60_000_000), None)
            .await
            .expect("drops");
        assert_eq!(this_minute.total, 3);
        assert!(rec.pending().is_empty());
    }

    #[tokio::test]
    async fn pending_counts_are_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let rec = DropRecorder::start(store(dir.path()).await, "ui".into());
        // Senders choose alert times: a million distinct minutes stay a bounded map.
        let alerts: Vec<_> = (0..(MAX_PENDING as i64 + 1000))
            .map(|m| alert_at(m, 1))
            .collect();
        rec.record(&alerts, "queue_full");
        assert!(rec.pending().len() <= MAX_PENDING + 1);
        let total: u64 = rec.pending().values().sum();
        assert_eq!(
            total,
            alerts.len() as u64,
            "nothing is lost, only re-binned"
        );
    }
}
