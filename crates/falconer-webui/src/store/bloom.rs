//! A Bloom filter of the alert UUIDs stored, so the SQLite store can tell almost every new
//! alert from a copy of a stored one (a retry) without an index lookup: only the few that
//! might be stored (about 1 in 100, and the real copies) are looked up. About 1.2 bytes per
//! stored alert; it grows by doubling and is rebuilt from the store when it does.

use std::hash::Hasher;

use super::text::FoldHasher;

/// Bits per expected key: about 1% false positives with [`HASHES`] hashes.
const BITS_PER_KEY: usize = 10;
const HASHES: u64 = 7;
/// Smallest capacity (keys).
pub(crate) const MIN_CAPACITY: usize = 1 << 16;

/// The filter.
#[derive(Debug, Clone)]
pub(crate) struct Bloom {
    bits: Vec<u64>,
    capacity: usize,
    len: usize,
}

impl Bloom {
    /// A filter for about `capacity` keys.
    pub(crate) fn with_capacity(capacity: usize) -> Bloom {
        let capacity = capacity.max(MIN_CAPACITY);
        let words = (capacity * BITS_PER_KEY).div_ceil(64);
        Bloom {
            bits: vec![0; words],
            capacity,
            len: 0,
        }
    }

    fn hashes(key: &str) -> (u64, u64) {
        let mut a = FoldHasher::default();
        a.write(key.as_bytes());
        let h1 = a.finish();
        // A second, independent-enough hash: mix the first.
        let mut h2 = h1 ^ (h1 >> 29);
        h2 = h2.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h2 ^= h2 >> 32;
        (h1, h2 | 1)
    }

    fn positions(&self, key: &str) -> [(usize, u64); HASHES as usize] {
        let (h1, h2) = Self::hashes(key);
        let m = (self.bits.len() * 64) as u64;
        let mut out = [(0, 0); HASHES as usize];
        for (i, slot) in (0..HASHES).zip(out.iter_mut()) {
            let bit = h1.wrapping_add(i.wrapping_mul(h2)) % m;
            *slot = ((bit / 64) as usize, 1u64 << (bit % 64));
        }
        out
    }

    /// Adds a key.
    pub(crate) fn insert(&mut self, key: &str) {
        for (w, mask) in self.positions(key) {
            self.bits[w] |= mask;
        }
        self.len += 1;
    }

    /// False when `key` was certainly never added.
    pub(crate) fn may_contain(&self, key: &str) -> bool {
        self.positions(key)
            .iter()
            .all(|(w, mask)| self.bits[*w] & mask != 0)
    }

    /// True when more keys were added than it was sized for (its error rate climbs): the
    /// owner rebuilds a larger one.
    pub(crate) fn is_full(&self) -> bool {
        self.len > self.capacity
    }

    /// Keys added.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_false_negatives_few_false_positives() {
        let mut b = Bloom::with_capacity(10_000);
        for i in 0..10_000 {
            b.insert(&format!("_u{i:032x}"));
        }
        assert!((0..10_000).all(|i| b.may_contain(&format!("_u{i:032x}"))));
        let false_positives = (10_000..110_000)
            .filter(|i| b.may_contain(&format!("_u{i:032x}")))
            .count();
        assert!(false_positives < 3_000, "{false_positives}");
        assert!(!b.is_full());
        assert_eq!(b.len(), 10_000);
    }
}
