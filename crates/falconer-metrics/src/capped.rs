//! Alert-driven families with a bounded number of series.
//!
//! Each distinct rule, hostname or pod name would otherwise add a series for good: memory and
//! the size of every scrape would grow with whatever senders put in their alerts. A
//! [`CappedFamily`] creates at most `cap` series; once it holds them, an alert whose label set
//! is new is counted on an `other` series instead, where the high-cardinality labels read
//! `other` (priority and source stay exact), and `falconer_metrics_series_folded_total`
//! counts it.
//!
//! The hot path is a lookup in an index from the hash of the label values to the counter
//! handle: one hash, one read lock, no allocation. Only a new series takes the write lock,
//! and at most `cap + MAX_OTHER_SERIES + 9` of them are ever created.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{PoisonError, RwLock};

use prometheus::{IntCounter, IntCounterVec};

/// The value of a folded label.
pub(crate) const OTHER: &str = "other";

/// Most `other` series a family holds besides its `cap` (one per priority × source). Past
/// them, `source` is folded too, which leaves at most one more series per priority (9): a
/// sender that invents a source per alert cannot grow the family either.
pub(crate) const MAX_OTHER_SERIES: usize = 256;

/// How a label is treated when its family is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Fold {
    /// Takes a handful of values (priority): never folded.
    Never,
    /// Kept exact on the `other` series until [`MAX_OTHER_SERIES`] are taken (source).
    Late,
    /// High-cardinality (rule, hostname, pod, extra labels): folded first.
    First,
}

/// Which labels an `other` series folds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    /// [`Fold::First`] labels read `other`.
    Other,
    /// [`Fold::First`] and [`Fold::Late`] labels read `other`.
    AllOther,
}

/// One family, its index of series and its share of the folded counter.
pub(crate) struct CappedFamily {
    name: &'static str,
    family: IntCounterVec,
    /// Per label, in the family's label order.
    folds: Box<[Fold]>,
    cap: usize,
    hasher: RandomState,
    index: RwLock<Index>,
    /// Set once `cap` exact series exist (series are never removed).
    full: AtomicBool,
    folded: IntCounter,
}

#[derive(Default)]
struct Index {
    /// Hash of the label values → the series' counter. The hash is SipHash with a random
    /// key, so senders cannot choose label sets that collide.
    series: HashMap<u64, IntCounter, BuildHasherDefault<Prehashed>>,
    /// Series created for exact label sets (at most `cap`).
    exact: usize,
    /// `other` series at [`Level::Other`] (at most [`MAX_OTHER_SERIES`]).
    other: usize,
}

impl CappedFamily {
    /// Wraps `family` (already registered), whose labels fold as `folds` says; `folded` is
    /// this family's child of `falconer_metrics_series_folded_total`.
    pub(crate) fn new(
        name: &'static str,
        family: IntCounterVec,
        folds: Vec<Fold>,
        cap: usize,
        folded: IntCounter,
    ) -> Self {
        CappedFamily {
            name,
            family,
            folds: folds.into_boxed_slice(),
            cap,
            hasher: RandomState::new(),
            index: RwLock::new(Index::default()),
            full: AtomicBool::new(false),
            folded,
        }
    }

    /// Counts one alert whose label values (in label order) are `values`.
    pub(crate) fn inc<'v, I>(&self, values: I)
    where
        I: Iterator<Item = &'v str> + Clone,
    {
        let hash = self.hash(values.clone());
        if self.inc_existing(hash) {
            return;
        }
        if !self.full.load(Ordering::Relaxed) && self.create_exact(hash, values.clone()) {
            return;
        }
        self.folded.inc();
        let other = self.hash(self.folded_values(values.clone(), Level::Other));
        if self.inc_existing(other) {
            return;
        }
        self.create_other(other, values);
    }

    /// Increments the series `hash` names, if it exists.
    fn inc_existing(&self, hash: u64) -> bool {
        let index = self.index.read().unwrap_or_else(PoisonError::into_inner);
        match index.series.get(&hash) {
            Some(counter) => {
                counter.inc();
                true
            }
            None => false,
        }
    }

    /// Creates and increments the series of `values` if the family has room; false when full.
    fn create_exact<'v>(&self, hash: u64, values: impl Iterator<Item = &'v str>) -> bool {
        let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(counter) = index.series.get(&hash) {
            counter.inc();
            return true;
        }
        if index.exact >= self.cap {
            return false;
        }
        let Some(counter) = self.series(values) else {
            return true;
        };
        counter.inc();
        index.series.insert(hash, counter);
        index.exact += 1;
        if index.exact >= self.cap {
            self.full.store(true, Ordering::Relaxed);
            tracing::warn!(
                family = self.name,
                cap = self.cap,
                "Metric family reached prometheus.maxseries; alerts with new label sets are \
                 counted on its `other` series (see falconer_metrics_series_folded_total)."
            );
        }
        true
    }

    /// Creates (or finds) and increments the `other` series of `values`: the first level
    /// while there is room for it, else the second.
    fn create_other<'v, I>(&self, hash: u64, values: I)
    where
        I: Iterator<Item = &'v str> + Clone,
    {
        let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
        let (hash, level) = if index.series.contains_key(&hash) || index.other < MAX_OTHER_SERIES {
            (hash, Level::Other)
        } else {
            let all = self.folded_values(values.clone(), Level::AllOther);
            (self.hash(all), Level::AllOther)
        };
        if let Some(counter) = index.series.get(&hash) {
            counter.inc();
            return;
        }
        let Some(counter) = self.series(self.folded_values(values, level)) else {
            return;
        };
        counter.inc();
        index.series.insert(hash, counter);
        if level == Level::Other {
            index.other += 1;
        }
    }

    /// The family's child for `values` (created by the registry's vector).
    fn series<'v>(&self, values: impl Iterator<Item = &'v str>) -> Option<IntCounter> {
        let values: Vec<&str> = values.collect();
        match self.family.get_metric_with_label_values(&values) {
            Ok(counter) => Some(counter),
            Err(e) => {
                // The label count is fixed at registration; this is a bug, not an input.
                tracing::error!(family = self.name, error = %e, "Cannot create a metric series.");
                None
            }
        }
    }

    /// `values` with the labels `level` folds replaced by `other`.
    fn folded_values<I>(&self, values: I, level: Level) -> Folded<'_, I> {
        Folded {
            values,
            folds: self.folds.iter(),
            least: match level {
                Level::Other => Fold::First,
                Level::AllOther => Fold::Late,
            },
        }
    }

    fn hash<'v>(&self, values: impl Iterator<Item = &'v str>) -> u64 {
        let mut hasher = self.hasher.build_hasher();
        for value in values {
            // `str`'s Hash ends each value with 0xff: ("ab", "c") and ("a", "bc") differ.
            value.hash(&mut hasher);
        }
        hasher.finish()
    }
}

/// Label values with some replaced by [`OTHER`].
#[derive(Clone)]
struct Folded<'f, I> {
    values: I,
    folds: std::slice::Iter<'f, Fold>,
    /// Labels that fold at least this early read `other`.
    least: Fold,
}

impl<'v, I: Iterator<Item = &'v str>> Iterator for Folded<'_, I> {
    type Item = &'v str;

    fn next(&mut self) -> Option<&'v str> {
        let value = self.values.next()?;
        let fold = self.folds.next()?;
        Some(if *fold >= self.least { OTHER } else { value })
    }
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed here; fold anything else in rather than lose it.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
#[path = "capped_tests.rs"]
mod tests;
