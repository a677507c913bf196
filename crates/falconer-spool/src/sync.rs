//! Syncs in flight. The writer thread writes a group of frames and goes on to gather the
//! next one; syncer threads make the groups durable (`fdatasync`), several at once, and each
//! group is published (indexed, handed to its lanes' readers, answered) in the order it was
//! written, never before every older group is.
//!
//! A disk serves concurrent flushes nearly as fast as a single one (on the benchmark machine:
//! 6,150 syncs/s from one thread, 12,280 from two, 16,400 from four, on one file). With one
//! sync at a time, the rate of a spooled output under a few clients was the flush latency's.
//!
//! Each syncer has its own descriptor of a segment, opened before the segment's first write
//! in this process. Linux reports a write-back error to every descriptor opened before it,
//! so no syncer can miss an error that another one saw first. When a sync fails, every group
//! in flight fails with it (a later group's frames follow the failed ones in the file, and
//! would not be read back after them), and the writer starts a new segment once all of them
//! are answered.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use tracing::error;

use crate::log::{write_zeros, Loc};
use crate::state::{lock, Shared};
use crate::writer::Append;
use crate::SpoolError;

/// How many syncs may run at once. Two did at least as well as three (with up to six groups
/// waiting) in the delivery benchmark, with a thread less.
pub(crate) const SYNCERS: usize = 2;

/// How many written groups may wait for their sync; the writer waits beyond (and gathers a
/// larger group meanwhile).
const MAX_IN_FLIGHT: usize = SYNCERS;

/// A group's records: the append, its sequence number, its frame's offset in the segment.
pub(crate) type Framed<T> = Vec<(Append<T>, u64, u64)>;

/// The syncers' descriptors of one segment, one each.
pub(crate) type SyncFiles = Arc<[File]>;

/// Opens a descriptor of the segment at `path` for each syncer.
pub(crate) fn open_sync_files(path: &Path) -> io::Result<SyncFiles> {
    (0..SYNCERS).map(|_| open_sync_file(path)).collect()
}

#[cfg(not(test))]
fn open_sync_file(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).open(path)
}

/// In tests, a spool directory holding a file `fail-syncs` gets descriptors whose sync fails
/// (`fdatasync` of `/dev/null` is `EINVAL`).
#[cfg(test)]
fn open_sync_file(path: &Path) -> io::Result<File> {
    let failing = path.parent().is_some_and(|d| d.join("fail-syncs").exists());
    let path = if failing {
        Path::new("/dev/null")
    } else {
        path
    };
    OpenOptions::new().write(true).open(path)
}

/// One written group.
pub(crate) struct Group<T> {
    pub(crate) framed: Framed<T>,
    pub(crate) segment: u64,
    pub(crate) files: SyncFiles,
    /// Where its frames start and end in the segment.
    pub(crate) at: u64,
    pub(crate) end: u64,
}

struct InFlight<T> {
    group: Group<T>,
    ticket: u64,
    /// A syncer has it.
    taken: bool,
    /// Its sync's outcome, once known.
    synced: Option<io::Result<()>>,
}

struct State<T> {
    /// Oldest first.
    groups: VecDeque<InFlight<T>>,
    next_ticket: u64,
    /// A sync failed: the groups in flight fail with it.
    failed: bool,
    closing: bool,
}

/// The groups between their write and their answer, and the syncer threads.
pub(crate) struct Pipeline<T> {
    state: Mutex<State<T>>,
    /// A group was added, or the pipeline closes: for the syncers.
    work: Condvar,
    /// A group was answered: for the writer.
    room: Condvar,
    shared: Arc<Mutex<Shared<T>>>,
}

impl<T: Send + 'static> Pipeline<T> {
    /// Starts the syncer threads.
    pub(crate) fn start(
        shared: Arc<Mutex<Shared<T>>>,
    ) -> io::Result<(Arc<Self>, Vec<JoinHandle<()>>)> {
        let pipeline = Arc::new(Pipeline {
            state: Mutex::new(State {
                groups: VecDeque::new(),
                next_ticket: 0,
                failed: false,
                closing: false,
            }),
            work: Condvar::new(),
            room: Condvar::new(),
            shared,
        });
        let mut threads = Vec::with_capacity(SYNCERS);
        for index in 0..SYNCERS {
            let p = pipeline.clone();
            let spawned = std::thread::Builder::new()
                .name("falconer-spool-sync".into())
                .spawn(move || p.run_syncer(index));
            match spawned {
                Ok(t) => threads.push(t),
                Err(e) => {
                    pipeline.close(threads);
                    return Err(e);
                }
            }
        }
        Ok((pipeline, threads))
    }
}

impl<T> Pipeline<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until another group may be written: fewer than [`MAX_IN_FLIGHT`] in flight, and,
    /// after a failed sync, none. Returns whether a sync failed (the writer then starts a new
    /// segment and numbers each lane again from its last published record).
    pub(crate) fn wait_for_room(&self) -> bool {
        let mut state = self.lock();
        loop {
            if state.failed {
                if state.groups.is_empty() {
                    state.failed = false;
                    return true;
                }
            } else if state.groups.len() < MAX_IN_FLIGHT {
                return false;
            }
            state = self
                .room
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Hands a written group to the syncers.
    pub(crate) fn push(&self, group: Group<T>) {
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.groups.push_back(InFlight {
            group,
            ticket,
            taken: false,
            synced: None,
        });
        drop(state);
        self.work.notify_one();
    }

    /// Waits until every group is answered.
    pub(crate) fn drain(&self) {
        let mut state = self.lock();
        while !state.groups.is_empty() {
            state = self
                .room
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Stops the syncers (once the groups in flight are answered) and waits for them.
    pub(crate) fn close(&self, threads: Vec<JoinHandle<()>>) {
        self.lock().closing = true;
        self.work.notify_all();
        for t in threads {
            let _ = t.join();
        }
    }

    fn run_syncer(&self, index: usize) {
        crate::writer::without_wakeup_preemption();
        let mut state = self.lock();
        loop {
            let Some(first) = state.groups.iter().position(|g| !g.taken) else {
                if state.closing {
                    return;
                }
                state = self
                    .work
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            };
            // One sync covers every group of that segment written so far.
            let segment = state.groups[first].group.segment;
            let file = state.groups[first].group.files.clone();
            let mut tickets = Vec::new();
            for g in state.groups.iter_mut().skip(first) {
                if !g.taken && g.group.segment == segment {
                    g.taken = true;
                    tickets.push(g.ticket);
                }
            }
            drop(state);
            let result = file
                .get(index)
                .ok_or_else(|| io::Error::other("no descriptor for this syncer"))
                .and_then(File::sync_data);
            state = self.lock();
            for g in state.groups.iter_mut() {
                if tickets.contains(&g.ticket) {
                    g.synced = Some(match &result {
                        Ok(()) => Ok(()),
                        Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
                    });
                }
            }
            self.answer_ready(&mut state);
        }
    }

    /// Publishes (or fails) the oldest groups whose sync is over, in order.
    fn answer_ready(&self, state: &mut State<T>) {
        let mut answered = false;
        while state.groups.front().is_some_and(|g| g.synced.is_some()) {
            let Some(g) = state.groups.pop_front() else {
                break;
            };
            answered = true;
            match g.synced {
                Some(Ok(())) if !state.failed => self.publish(g.group),
                Some(Err(e)) => {
                    error!(error = %e, "Spool sync failed.");
                    state.failed = true;
                    self.fail(g.group, &e);
                }
                _ => self.fail(
                    g.group,
                    &io::Error::other("an earlier write of the spool failed"),
                ),
            }
        }
        if answered {
            self.room.notify_all();
        }
    }

    /// Indexes the group's records, hands their items to the lanes' readers (in order, before
    /// the committed marks move, so a reader that sees a mark also sees every item that fit
    /// in its channel), then answers.
    fn publish(&self, group: Group<T>) {
        let mut replies = Vec::with_capacity(group.framed.len());
        let mut touched = Vec::new();
        let mut shared = lock(&self.shared);
        for (a, seq, offset) in group.framed {
            let Some(lane) = shared.lanes.get_mut(&a.lane) else {
                continue;
            };
            lane.locs.push_back(Loc {
                segment: group.segment,
                offset,
                len: a.payload.len() as u32,
            });
            lane.next_seq = seq + 1;
            if let Some(h) = &lane.attached {
                // A full channel is fine: the reader reads that record back from disk.
                let _ = h.hot.try_send((seq, a.item));
            }
            touched.push(a.lane);
            replies.push((seq, a.reply));
        }
        touched.sort_unstable();
        touched.dedup();
        for id in touched {
            if let Some(lane) = shared.lanes.get(&id) {
                lane.committed.send_replace(lane.next_seq - 1);
            }
        }
        drop(shared);
        for (seq, reply) in replies {
            let _ = reply.send(Ok(seq));
        }
    }

    /// Zeroes the group's frames (so that nothing after them in the segment is read back
    /// either), gives its room back and answers with `e`.
    fn fail(&self, group: Group<T>, e: &io::Error) {
        let mut shared = lock(&self.shared);
        if let Some(file) = shared.segment_file(group.segment) {
            let _ = write_zeros(&file, group.at, group.end);
        }
        for (a, _, _) in &group.framed {
            if let Some(l) = shared.lanes.get(&a.lane) {
                l.used.fetch_sub(a.payload.len() as u64, Ordering::AcqRel);
            }
        }
        if let Some(s) = shared.segment_mut(group.segment) {
            s.pending = s.pending.saturating_sub(group.framed.len() as u64);
        }
        drop(shared);
        for (a, _, _) in group.framed {
            let _ = a.reply.send(Err(SpoolError::storage(e)));
        }
    }
}
