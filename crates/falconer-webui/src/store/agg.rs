//! Pre-aggregated counts, shared by both stores: events per minute, hour and day × series
//! (and × host), kept up to date by every insert and every retention delete. A count over
//! any time range is then a handful of range reads: whole days, whole hours and whole
//! minutes from the aggregates, and only the events of the partial minutes at its two ends
//! from the events themselves.

use super::FastMap;

/// Microseconds per level: minute, hour, day.
pub(crate) const LEVELS: [i64; 3] = [60_000_000, 3_600_000_000, 86_400_000_000];

/// Bounds used for an open range end: far enough for any stored time, small enough that
/// arithmetic never overflows.
pub(crate) const FAR_PAST_US: i64 = -(1 << 61);
/// See [`FAR_PAST_US`].
pub(crate) const FAR_FUTURE_US: i64 = 1 << 61;

/// A time range `[from, to)` in microseconds, ends resolved.
pub(crate) fn range_of(from: Option<i64>, to: Option<i64>) -> (i64, i64) {
    (
        from.map_or(FAR_PAST_US, |f| f.clamp(FAR_PAST_US, FAR_FUTURE_US)),
        to.map_or(FAR_FUTURE_US, |t| t.clamp(FAR_PAST_US, FAR_FUTURE_US)),
    )
}

/// A read of the aggregates: `level` (index into [`LEVELS`]), buckets `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    /// Index into [`LEVELS`].
    pub level: usize,
    /// First bucket.
    pub from: i64,
    /// Bucket after the last.
    pub to: i64,
}

/// How to count `[from, to)`: aggregate reads, and raw time ranges (the partial minutes) to
/// count from the events. `finest` is the finest level usable.
pub(crate) fn plan(from: i64, to: i64, finest: usize) -> (Vec<Segment>, Vec<(i64, i64)>) {
    let mut segments = Vec::new();
    let mut raw = Vec::new();
    split(from, to, LEVELS.len(), finest, &mut segments, &mut raw);
    (segments, raw)
}

fn split(
    from: i64,
    to: i64,
    coarser_than: usize,
    finest: usize,
    segments: &mut Vec<Segment>,
    raw: &mut Vec<(i64, i64)>,
) {
    if from >= to {
        return;
    }
    if coarser_than <= finest {
        raw.push((from, to));
        return;
    }
    let level = coarser_than - 1;
    let size = LEVELS[level];
    let first = from.div_euclid(size) + i64::from(from.rem_euclid(size) != 0);
    let last = to.div_euclid(size);
    if first < last {
        segments.push(Segment {
            level,
            from: first,
            to: last,
        });
        split(from, first * size, level, finest, segments, raw);
        split(last * size, to, level, finest, segments, raw);
    } else {
        split(from, to, level, finest, segments, raw);
    }
}

/// Count changes of one insert or delete, per (level, bucket, series) and per (level,
/// bucket, host, series).
#[derive(Debug, Default)]
pub(crate) struct Deltas {
    /// (level, bucket, series) → change.
    pub series: FastMap<(usize, i64, i64), i64>,
    /// (level, bucket, host, series) → change.
    pub hosts: FastMap<(usize, i64, i64, i64), i64>,
}

impl Deltas {
    /// Counts one event at `ts_us` (`sign` 1 for an insert, -1 for a delete).
    pub(crate) fn add(&mut self, ts_us: i64, series: i64, host: i64, sign: i64) {
        for (level, size) in LEVELS.iter().enumerate() {
            let bucket = ts_us.div_euclid(*size);
            *self.series.entry((level, bucket, series)).or_default() += sign;
            *self.hosts.entry((level, bucket, host, series)).or_default() += sign;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000_000;
    const H: i64 = 60 * M;
    const D: i64 = 24 * H;

    #[test]
    fn plans_cover_the_range_exactly() {
        let from = 3 * D + 5 * H + 7 * M + 11;
        let to = 6 * D + 2 * H + 3 * M + 5;
        let (segments, raw) = plan(from, to, 0);
        assert_eq!(
            segments,
            [
                Segment {
                    level: 2,
                    from: 4,
                    to: 6
                },
                Segment {
                    level: 1,
                    from: 3 * 24 + 6,
                    to: 4 * 24
                },
                Segment {
                    level: 0,
                    from: (3 * D + 5 * H) / M + 8,
                    to: (3 * D + 6 * H) / M
                },
                Segment {
                    level: 1,
                    from: 6 * 24,
                    to: 6 * 24 + 2
                },
                Segment {
                    level: 0,
                    from: (6 * D + 2 * H) / M,
                    to: (6 * D + 2 * H) / M + 3
                },
            ]
        );
        assert_eq!(
            raw,
            [(from, (3 * D + 5 * H) + 8 * M), (6 * D + 2 * H + 3 * M, to)]
        );
        // Aligned ends need no raw reads; hours only when minutes are not allowed.
        assert_eq!(plan(D, 2 * D, 0).1, []);
        let (segments, raw) = plan(H + 5, 3 * H, 1);
        assert_eq!(
            segments,
            [Segment {
                level: 1,
                from: 2,
                to: 3
            }]
        );
        assert_eq!(raw, [(H + 5, 2 * H)]);
        // Negative times and an open start.
        let (segments, raw) = plan(FAR_PAST_US, -M - 1, 0);
        assert!(raw.iter().all(|(a, b)| a < b));
        assert_eq!(raw.last(), Some(&(-2 * M, -M - 1)));
        assert!(!segments.is_empty());
    }

    #[test]
    fn deltas_count_every_level() {
        let mut d = Deltas::default();
        d.add(H + M + 1, 7, 3, 1);
        d.add(H + M + 2, 7, 3, 1);
        d.add(H + M + 3, 7, 3, -1);
        assert_eq!(d.series[&(0, 61, 7)], 1);
        assert_eq!(d.series[&(1, 1, 7)], 1);
        assert_eq!(d.hosts[&(2, 0, 3, 7)], 1);
    }
}
