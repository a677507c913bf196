//! What the writer thread and the lanes' handles share: the segments and each lane's records.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, watch};

use crate::cursor::Cursor;
use crate::lanes::Registry;
use crate::log::{Found, Loc, Segment};
use crate::UsedObserver;

/// The segment of a record that was lost (a damaged segment): never read, counted as
/// acknowledged.
pub(crate) const MISSING: u64 = u64::MAX;

/// A lane's handle while an output instance uses it.
pub(crate) struct Attached<T> {
    pub(crate) hot: mpsc::Sender<(u64, T)>,
    pub(crate) on_used: UsedObserver,
    pub(crate) generation: u64,
}

/// One lane: one output's records in the shared log.
pub(crate) struct Lane<T> {
    /// Where records `first..next_seq` are (those below `low` are trimmed away).
    pub(crate) first: u64,
    pub(crate) locs: VecDeque<Loc>,
    pub(crate) next_seq: u64,
    /// The lowest sequence number not acknowledged.
    pub(crate) low: u64,
    /// Acknowledged sequence numbers above `low`.
    pub(crate) acked: BTreeSet<u64>,
    pub(crate) cursor: Cursor,
    /// Payload bytes of its records not acknowledged.
    pub(crate) used: Arc<AtomicU64>,
    pub(crate) committed: watch::Sender<u64>,
    pub(crate) attached: Option<Attached<T>>,
}

impl<T> Lane<T> {
    /// Where record `seq` is, if the lane still indexes it.
    pub(crate) fn loc(&self, seq: u64) -> Option<Loc> {
        let i = usize::try_from(seq.checked_sub(self.first)?).ok()?;
        self.locs.get(i).copied()
    }

    /// Records `seq` as acknowledged; returns where it was if that is news.
    pub(crate) fn ack(&mut self, seq: u64) -> Option<Loc> {
        if seq < self.low || seq >= self.next_seq {
            return None;
        }
        // In order (the usual case) it moves `low` without visiting the set.
        if seq != self.low && !self.acked.insert(seq) {
            return None;
        }
        let loc = self.loc(seq);
        if let Some(loc) = loc {
            self.used.fetch_sub(u64::from(loc.len), Ordering::AcqRel);
        }
        if seq == self.low {
            self.low += 1;
        }
        while self.acked.remove(&self.low) {
            self.low += 1;
        }
        while self.first < self.low && self.locs.pop_front().is_some() {
            self.first += 1;
        }
        loc
    }

    /// Payload bytes of its pending records.
    pub(crate) fn used(&self) -> u64 {
        self.used.load(Ordering::Acquire)
    }
}

/// The shared state.
pub(crate) struct Shared<T> {
    pub(crate) segments: Vec<Segment>,
    pub(crate) lanes: HashMap<u32, Lane<T>>,
    pub(crate) registry: Registry,
}

impl<T> Shared<T> {
    /// The segment `id`, if it is still there.
    pub(crate) fn segment_mut(&mut self, id: u64) -> Option<&mut Segment> {
        let i = self.segments.binary_search_by_key(&id, |s| s.id).ok()?;
        self.segments.get_mut(i)
    }

    /// The file of segment `id`, if it is still there.
    pub(crate) fn segment_file(&self, id: u64) -> Option<Arc<std::fs::File>> {
        let i = self.segments.binary_search_by_key(&id, |s| s.id).ok()?;
        Some(self.segments[i].file.clone())
    }

    /// The lane named `name`, created (and registered durably) if it is new.
    pub(crate) fn lane_named(&mut self, dir: &Path, name: &str) -> io::Result<u32> {
        let id = self.registry.id(name)?;
        if let std::collections::hash_map::Entry::Vacant(slot) = self.lanes.entry(id) {
            let cursor = Cursor::open(dir, id)?;
            let next = cursor.written.max(1);
            slot.insert(empty_lane(cursor, next));
        }
        Ok(id)
    }
}

fn empty_lane<T>(cursor: Cursor, next: u64) -> Lane<T> {
    Lane {
        first: next,
        locs: VecDeque::new(),
        next_seq: next,
        low: next,
        acked: BTreeSet::new(),
        cursor,
        used: Arc::new(AtomicU64::new(0)),
        committed: watch::channel(next - 1).0,
        attached: None,
    }
}

/// Builds every lane from the frames found in the segments and the lanes' cursors: records
/// below a lane's cursor are acknowledged; the others are pending and hold their segment.
pub(crate) fn build_lanes<T>(
    dir: &Path,
    registry: &Registry,
    segments: &mut [Segment],
    found: Vec<Found>,
) -> io::Result<HashMap<u32, Lane<T>>> {
    let mut by_lane: HashMap<u32, Vec<Found>> = HashMap::new();
    for f in found {
        by_lane.entry(f.lane).or_default().push(f);
    }
    let mut lanes = HashMap::new();
    let mut ids: Vec<u32> = registry.by_name.values().copied().collect();
    ids.extend(by_lane.keys().copied());
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let cursor = Cursor::open(dir, id)?;
        let records = by_lane.remove(&id).unwrap_or_default();
        let saved = cursor.written.max(1);
        let last = records.last().map_or(0, |r| r.seq);
        let next = (last + 1).max(saved);
        let low = records
            .iter()
            .map(|r| r.seq)
            .find(|s| *s >= saved)
            .unwrap_or(next);
        let mut lane: Lane<T> = empty_lane(cursor, next);
        lane.first = low;
        lane.low = low;
        let _ = lane.committed.send_replace(next - 1);
        let mut expected = low;
        for r in records.into_iter().filter(|r| r.seq >= low) {
            // Records a damaged segment lost: holes, acknowledged at once.
            while expected < r.seq {
                lane.locs.push_back(Loc {
                    segment: MISSING,
                    offset: 0,
                    len: 0,
                });
                lane.acked.insert(expected);
                expected += 1;
            }
            if let Ok(i) = segments.binary_search_by_key(&r.loc.segment, |s| s.id) {
                segments[i].pending += 1;
            }
            lane.used.fetch_add(u64::from(r.loc.len), Ordering::AcqRel);
            lane.locs.push_back(r.loc);
            expected += 1;
        }
        lanes.insert(id, lane);
    }
    Ok(lanes)
}

pub(crate) fn lock<T>(shared: &Mutex<Shared<T>>) -> MutexGuard<'_, Shared<T>> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
