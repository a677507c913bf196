//! How a batch is cut into `PutLogEvents` calls (pure): CloudWatch wants the events of a
//! call in time order, spanning 24 hours at most.

/// Longest time span of one call, in ms.
pub(crate) const MAX_SPAN_MS: i64 = 24 * 3600 * 1000;

/// Groups the batch positions by call: each group sorted by timestamp (ties keep the batch
/// order) and spanning at most [`MAX_SPAN_MS`].
pub(crate) fn calls(timestamps: &[i64]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..timestamps.len()).collect();
    order.sort_by_key(|&i| timestamps[i]);
    let mut out: Vec<Vec<usize>> = Vec::new();
    for i in order {
        match out.last_mut() {
            Some(call) if timestamps[i] - timestamps[call[0]] <= MAX_SPAN_MS => call.push(i),
            _ => out.push(vec![i]),
        }
    }
    out
}

/// The positions (within a call of `len` events) that CloudWatch rejected, from its
/// `rejectedLogEventsInfo` indices: before `too_old_end` and `expired_end` (inclusive),
/// from `too_new_start` on.
pub(crate) fn rejected(
    len: usize,
    too_new_start: Option<i32>,
    too_old_end: Option<i32>,
    expired_end: Option<i32>,
) -> Vec<(usize, &'static str)> {
    (0..len)
        .filter_map(|k| {
            let k32 = i32::try_from(k).unwrap_or(i32::MAX);
            if too_new_start.is_some_and(|s| k32 >= s) {
                Some((k, "too new"))
            } else if expired_end.is_some_and(|e| k32 <= e) {
                Some((k, "older than the group's retention"))
            } else if too_old_end.is_some_and(|e| k32 <= e) {
                Some((k, "too old"))
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_sorted_and_cut_at_24_hours() {
        let h = 3600 * 1000;
        assert_eq!(calls(&[]), Vec::<Vec<usize>>::new());
        assert_eq!(calls(&[5, 3, 3, 4]), vec![vec![1, 2, 3, 0]]);
        assert_eq!(
            calls(&[30 * h, 0, 24 * h, 25 * h]),
            vec![vec![1, 2], vec![3, 0]]
        );
    }

    #[test]
    fn rejected_indices_follow_cloudwatchs_rules() {
        assert_eq!(rejected(3, None, None, None), vec![]);
        assert_eq!(
            rejected(5, Some(4), Some(0), None),
            vec![(0, "too old"), (4, "too new")]
        );
        assert_eq!(
            rejected(3, None, Some(1), Some(0)),
            vec![(0, "older than the group's retention"), (1, "too old")]
        );
    }
}
