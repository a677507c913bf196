//! The process's file descriptors are shared by every listener, the outputs' connections,
//! the spools and the stores: a flood on one port must not take the descriptors another
//! needs. At start the soft limit is raised to the hard limit, then the listeners' caps are
//! fitted into it with a reserve for everything else.

use tracing::{info, warn};

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the limit in force (`None`
/// where the platform has no such limit).
pub fn raise_fd_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => Some(limit),
        Err(e) => {
            warn!(error = %e, "Cannot read or raise the open-files limit.");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .ok()
                .map(|(soft, _)| soft)
        }
    }
}

/// The descriptors kept out of the listeners' budget: a quarter of the limit, at least 64.
pub fn reserve(limit: u64) -> u64 {
    (limit / 4).max(64)
}

/// Scales the requested connection caps down, in proportion, until their sum fits in
/// `limit` less the reserve; each keeps at least 1. Returns the caps in the same order.
pub fn fit_caps(requested: &[usize], limit: u64) -> Vec<usize> {
    let total: u128 = requested.iter().map(|&c| c as u128).sum();
    let budget = u128::from(limit.saturating_sub(reserve(limit)));
    if total <= budget || total == 0 {
        return requested.to_vec();
    }
    requested
        .iter()
        .map(|&c| {
            usize::try_from(c as u128 * budget / total)
                .unwrap_or(usize::MAX)
                .max(1)
        })
        .collect()
}

/// [`raise_fd_limit`] then [`fit_caps`], logging what changed. `names` label the caps.
pub fn budget_connections(names: &[&str], requested: &[usize]) -> Vec<usize> {
    let Some(limit) = raise_fd_limit() else {
        return requested.to_vec();
    };
    let fitted = fit_caps(requested, limit);
    if fitted != requested {
        warn!(
            open_files_limit = limit,
            listeners = ?names,
            requested = ?requested,
            fitted = ?fitted,
            "The connection caps do not fit the open-files limit; lowered them."
        );
    } else {
        info!(open_files_limit = limit, "Open-files limit.");
    }
    fitted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_that_fit_are_kept() {
        assert_eq!(fit_caps(&[4096, 256], 1_048_576), vec![4096, 256]);
    }

    #[test]
    fn caps_are_scaled_into_the_budget() {
        // 256 descriptors: 64 reserved, 192 shared in proportion.
        let fitted = fit_caps(&[4096, 256], 256);
        assert_eq!(fitted, vec![180, 11]);
        assert!(fitted.iter().sum::<usize>() <= 192);
    }

    #[test]
    fn every_cap_keeps_one() {
        assert_eq!(fit_caps(&[1_000_000, 1], 100), vec![35, 1]);
    }
}
