//! Counts of alerts that never reached the store, kept in the store itself (per minute and
//! reason) so every replica and every page sees them.

use std::collections::BTreeMap;

use serde_json::{json, Value};

/// Microseconds in a minute.
const MINUTE_US: i64 = 60_000_000;

/// Drop counts older than this go when retention has no `maxage`.
pub(crate) const DEFAULT_KEEP_US: i64 = 30 * 86_400 * 1_000_000;

/// Without a `maxage`, drop counts go before this: [`DEFAULT_KEEP_US`] before `now_us`, or
/// the minute of the oldest stored event when that is older (counts beside stored events
/// stay, whatever their alerts' clocks said).
pub(crate) fn drops_cutoff(now_us: i64, keep_us: i64, oldest_event_us: Option<i64>) -> i64 {
    let by_clock = now_us.saturating_sub(keep_us);
    oldest_event_us.map_or(by_clock, |t| by_clock.min(minute_of(t)))
}

/// The start of the minute of `ts_us` (microseconds since the epoch).
pub fn minute_of(ts_us: i64) -> i64 {
    ts_us - ts_us.rem_euclid(MINUTE_US)
}

/// Alerts not stored in one minute for one reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropCount {
    /// The start of the minute (µs since the epoch), see [`minute_of`].
    pub minute_us: i64,
    /// Why (`queue_full`, `retries_exhausted`, …).
    pub reason: String,
    /// How many.
    pub count: u64,
}

/// Sums `counts` per (minute, reason), so one statement never updates a row twice.
pub(crate) fn merge(counts: &[DropCount]) -> Vec<DropCount> {
    let mut sums: BTreeMap<(i64, &str), u64> = BTreeMap::new();
    for c in counts.iter().filter(|c| c.count > 0) {
        let n = sums.entry((c.minute_us, c.reason.as_str())).or_default();
        *n = n.saturating_add(c.count);
    }
    sums.into_iter()
        .map(|((minute_us, reason), count)| DropCount {
            minute_us,
            reason: reason.to_owned(),
            count,
        })
        .collect()
}

/// Alerts not stored over a time range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drops {
    /// All reasons together.
    pub total: u64,
    /// Per reason.
    pub by_reason: BTreeMap<String, u64>,
}

impl Drops {
    /// From (reason, count) rows.
    pub fn from_rows(rows: impl IntoIterator<Item = (String, u64)>) -> Drops {
        let mut d = Drops::default();
        for (reason, n) in rows {
            d.total = d.total.saturating_add(n);
            *d.by_reason.entry(reason).or_default() += n;
        }
        d
    }

    /// `{"total": N, "by_reason": {"queue_full": N, …}}`, the `dropped` field of the API.
    pub fn to_json(&self) -> Value {
        json!({"total": self.total, "by_reason": self.by_reason})
    }
}

/// The bounds of a drop query over minutes: a range start inside a minute includes it.
pub(crate) fn minute_bounds(from_us: Option<i64>, to_us: Option<i64>) -> (i64, i64) {
    (
        from_us.map_or(i64::MIN, minute_of),
        to_us.unwrap_or(i64::MAX),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_and_merging() {
        assert_eq!(minute_of(61_000_001), 60_000_000);
        assert_eq!(minute_of(-1), -60_000_000);
        let c = |m: i64, r: &str, n: u64| DropCount {
            minute_us: m,
            reason: r.into(),
            count: n,
        };
        let merged = merge(&[c(0, "queue_full", 2), c(0, "queue_full", 3), c(60, "x", 0)]);
        assert_eq!(merged, vec![c(0, "queue_full", 5)]);
        let d = Drops::from_rows([("queue_full".into(), 5), ("max_age".into(), 1)]);
        assert_eq!(
            d.to_json(),
            json!({"total": 6, "by_reason": {"max_age": 1, "queue_full": 5}})
        );
    }

    #[test]
    fn counts_beside_old_stored_events_are_kept() {
        let day = 86_400_000_000;
        // No events: the clock decides.
        assert_eq!(drops_cutoff(100 * day, 30 * day, None), 70 * day);
        // An event from long ago keeps its minute's counts.
        assert_eq!(
            drops_cutoff(100 * day, 30 * day, Some(day + 61_000_000)),
            day + 60_000_000
        );
        // A recent oldest event does not shorten the default keep.
        assert_eq!(drops_cutoff(100 * day, 30 * day, Some(99 * day)), 70 * day);
    }
}
