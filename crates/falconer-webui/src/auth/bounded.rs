//! A map with a fixed number of entries at most: inserting into a full map evicts the entry
//! touched least recently, so callers that key on attacker-chosen values (client addresses,
//! credentials) use bounded memory.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// A bounded map, least recently touched entry evicted first. Every operation is
/// O(log n).
#[derive(Debug)]
pub(crate) struct Bounded<K, V> {
    cap: usize,
    next: u64,
    entries: HashMap<K, (V, u64)>,
    order: BTreeMap<u64, K>,
}

impl<K: Hash + Eq + Clone, V> Bounded<K, V> {
    /// A map of at most `cap` entries (at least 1).
    pub(crate) fn new(cap: usize) -> Self {
        Bounded {
            cap: cap.max(1),
            next: 0,
            entries: HashMap::new(),
            order: BTreeMap::new(),
        }
    }

    fn stamp(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// The value of `key`, marked as recently used.
    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let stamp = self.stamp();
        let (_, old) = self.entries.get(key)?;
        let old = *old;
        self.order.remove(&old);
        self.order.insert(stamp, key.clone());
        let entry = self.entries.get_mut(key)?;
        entry.1 = stamp;
        Some(&mut entry.0)
    }

    /// The value of `key` without touching it.
    pub(crate) fn peek(&self, key: &K) -> Option<&V> {
        self.entries.get(key).map(|(v, _)| v)
    }

    /// The value of `key`, inserted with `make` when absent (evicting the least recently
    /// used entry when full), marked as recently used.
    pub(crate) fn entry(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let stamp = self.stamp();
        match self.entries.get(&key) {
            Some((_, old)) => {
                let old = *old;
                self.order.remove(&old);
            }
            None => {
                while self.entries.len() >= self.cap {
                    let Some((_, oldest)) = self.order.pop_first() else {
                        break;
                    };
                    self.entries.remove(&oldest);
                }
            }
        }
        self.order.insert(stamp, key.clone());
        let entry = self.entries.entry(key).or_insert_with(|| (make(), stamp));
        entry.1 = stamp;
        &mut entry.0
    }

    /// Removes `key`.
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let (v, stamp) = self.entries.remove(key)?;
        self.order.remove(&stamp);
        Some(v)
    }

    /// The number of entries.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_touched_entry_goes_first() {
        let mut m = Bounded::new(3);
        for k in 0..3 {
            *m.entry(k, || 0) += 1;
        }
        // Touch 0, so 1 is now the oldest.
        assert_eq!(m.get_mut(&0).copied(), Some(1));
        m.entry(3, || 7);
        assert_eq!(m.len(), 3);
        assert!(m.peek(&1).is_none(), "evicted");
        assert!(m.peek(&0).is_some() && m.peek(&2).is_some());
        assert_eq!(m.remove(&3), Some(7));
        assert_eq!(m.remove(&0), Some(1));
        assert_eq!(m.len(), 1);
        for k in 100..10_000 {
            m.entry(k, || 0);
        }
        assert_eq!(m.len(), 3, "never more than the cap");
        assert_eq!(m.order.len(), 3, "the order index stays in step");
    }
}
