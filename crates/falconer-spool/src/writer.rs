//! The writer thread: group commit of every lane's appends (one write for all of them, synced
//! by the syncers of [`crate::sync`]), acknowledgements applied in memory, spent segments
//! deleted, cursors saved.

use std::collections::HashMap;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::oneshot;
use tracing::error;

use crate::log::{create_segment, encode_frame, segment_path, write_zeros, HEADER, PREALLOCATE};
use crate::state::{lock, Shared};
use crate::sync::{open_sync_files, Framed, Group, Pipeline, SyncFiles};
use crate::SpoolError;

/// How often at most a cursor is synced; a crash redelivers at most this much of
/// acknowledged alerts.
pub(crate) const CURSOR_SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// Where an append's sequence number (or failure) is sent.
pub(crate) type Reply = oneshot::Sender<Result<u64, SpoolError>>;

/// One append.
pub(crate) struct Append<T> {
    pub(crate) lane: u32,
    pub(crate) generation: u64,
    pub(crate) payload: Bytes,
    pub(crate) item: T,
    pub(crate) reply: Reply,
}

pub(crate) enum Request {
    /// Appends or acknowledgements are waiting in [`Writer::appends`] or [`Writer::acks`].
    Work,
    /// Save the lane's cursor and let go of its handle (if it is still `generation`).
    Close {
        lane: u32,
        generation: u64,
        reply: oneshot::Sender<Result<(), SpoolError>>,
    },
}

/// Acknowledgements not yet applied: (lane, sequence number).
pub(crate) type Acks = Arc<Mutex<Vec<(u32, u64)>>>;

/// Appends not yet written. Senders wake the writer only when they find the list empty: one
/// wake-up (and one channel message) per group, not per append.
pub(crate) type Appends<T> = Arc<Mutex<Vec<Append<T>>>>;

/// Takes everything in `list`.
pub(crate) fn take_all<I>(list: &Mutex<Vec<I>>) -> Vec<I> {
    std::mem::take(
        &mut *list
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

/// Whether `list` holds anything.
fn holds_any<I>(list: &Mutex<Vec<I>>) -> bool {
    !list
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .is_empty()
}

/// Lets the calling thread run only when the threads it wakes would yield the CPU anyway
/// (`SCHED_BATCH`): a spool thread woken by an append no longer preempts the ingest thread
/// that appended, so appends gather into larger groups. On one shared CPU this took a spooled
/// output from 12,700–13,000 to 15,200–15,700 alerts/s and its CPU per alert from 61 to 41 µs.
pub(crate) fn without_wakeup_preemption() {
    use thread_priority::{
        set_thread_priority_and_policy, thread_native_id, NormalThreadSchedulePolicy,
        ThreadPriority, ThreadPriorityOsValue, ThreadSchedulePolicy,
    };
    let batch = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch);
    let nice_0 = ThreadPriority::Os(ThreadPriorityOsValue::default());
    if let Err(e) = set_thread_priority_and_policy(thread_native_id(), nice_0, batch) {
        tracing::debug!(error = ?e, "SCHED_BATCH refused; this spool thread keeps its policy.");
    }
}

pub(crate) struct Writer<T> {
    pub(crate) dir: PathBuf,
    pub(crate) shared: Arc<Mutex<Shared<T>>>,
    pub(crate) acks: Acks,
    pub(crate) appends: Appends<T>,
    pub(crate) segment_bytes: u64,
    pub(crate) next_segment: u64,
    /// The last segment must not be written to again (a write to it failed).
    pub(crate) broken: bool,
    /// Bytes of frames in the segments (what the disk holds, beyond preallocated zeros).
    pub(crate) disk: Arc<AtomicU64>,
    pub(crate) last_sync: Instant,
    /// The written groups waiting for their sync.
    pub(crate) pipeline: Arc<Pipeline<T>>,
    pub(crate) syncers: Vec<std::thread::JoinHandle<()>>,
    /// The next sequence number of each lane written since the last failed sync (ahead of
    /// the lane's published `next_seq` while groups are in flight).
    pub(crate) assigned: HashMap<u32, u64>,
    /// The syncers' descriptors of the segment written last.
    pub(crate) sync_files: Option<(u64, SyncFiles)>,
}

impl<T> Drop for Writer<T> {
    fn drop(&mut self) {
        // When the thread never ran (the log failed to open), its syncers wait for work.
        self.pipeline.close(std::mem::take(&mut self.syncers));
    }
}

impl<T> Writer<T> {
    pub(crate) fn run(mut self, rx: Receiver<Request>) {
        without_wakeup_preemption();
        loop {
            let first = if self.cursors_behind() {
                rx.recv_timeout(CURSOR_SYNC_INTERVAL.saturating_sub(self.last_sync.elapsed()))
            } else {
                rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
            };
            let mut group = match first {
                Ok(request) => vec![request],
                Err(RecvTimeoutError::Timeout) => Vec::new(),
                Err(RecvTimeoutError::Disconnected) => {
                    for a in take_all(&self.appends) {
                        let _ = a.reply.send(Err(SpoolError::Closed));
                    }
                    self.pipeline.drain();
                    self.pipeline.close(std::mem::take(&mut self.syncers));
                    self.apply_acks();
                    self.save_cursors(true);
                    return;
                }
            };
            while let Ok(r) = rx.try_recv() {
                group.push(r);
            }
            // Waiting for a syncer to be free lets more appends gather into this group; `Some`
            // tells whether a sync failed meanwhile.
            let failed = holds_any(&self.appends).then(|| self.pipeline.wait_for_room());
            // Appends that come after the check wake the writer again (the list was empty).
            let appends = if failed.is_some() {
                take_all(&self.appends)
            } else {
                Vec::new()
            };
            let mut closes = Vec::new();
            for request in group {
                match request {
                    Request::Work => {}
                    Request::Close {
                        lane,
                        generation,
                        reply,
                    } => closes.push((lane, generation, reply)),
                }
            }
            self.apply_acks();
            if let Some(failed) = failed {
                self.commit(appends, failed);
            }
            if !closes.is_empty() {
                // A handle closes after its appends are answered, as with one sync at a time.
                self.pipeline.drain();
            }
            self.reclaim();
            self.save_cursors(!closes.is_empty());
            self.report_used();
            for (lane, generation, reply) in closes {
                let mut shared = lock(&self.shared);
                let result = match shared.lanes.get_mut(&lane) {
                    Some(l) => {
                        if l.attached
                            .as_ref()
                            .is_some_and(|a| a.generation == generation)
                        {
                            l.attached = None;
                        }
                        l.cursor.sync().map_err(|e| SpoolError::storage(&e))
                    }
                    None => Ok(()),
                };
                drop(shared);
                let _ = reply.send(result);
            }
        }
    }

    fn apply_acks(&mut self) {
        let acks = take_all(&self.acks);
        if acks.is_empty() {
            return;
        }
        let mut shared = lock(&self.shared);
        for (lane, seq) in acks {
            let loc = shared.lanes.get_mut(&lane).and_then(|l| l.ack(seq));
            if let Some(segment) = loc.and_then(|loc| shared.segment_mut(loc.segment)) {
                segment.pending = segment.pending.saturating_sub(1);
            }
        }
    }

    /// Writes the appends of attached lanes as frames and hands them to the syncers, which
    /// publish and answer them once they are durable.
    fn commit(&mut self, appends: Vec<Append<T>>, failed: bool) {
        if failed {
            // The failed records' numbers are free again, in a new segment.
            self.broken = true;
            self.assigned.clear();
        }
        let mut buf = Vec::with_capacity(appends.iter().map(|a| HEADER + a.payload.len()).sum());
        let mut next: HashMap<u32, u64> = HashMap::new();
        let mut framed = Vec::with_capacity(appends.len());
        {
            let shared = lock(&self.shared);
            for a in appends {
                let lane = shared.lanes.get(&a.lane).filter(|l| {
                    l.attached
                        .as_ref()
                        .is_some_and(|h| h.generation == a.generation)
                });
                let Some(lane) = lane else {
                    // Its handle was closed meanwhile.
                    if let Some(l) = shared.lanes.get(&a.lane) {
                        l.used.fetch_sub(a.payload.len() as u64, Ordering::AcqRel);
                    }
                    let _ = a.reply.send(Err(SpoolError::Closed));
                    continue;
                };
                let first = self.assigned.get(&a.lane).copied().unwrap_or(lane.next_seq);
                let seq = next.entry(a.lane).or_insert(first);
                let offset = buf.len() as u64;
                encode_frame(&mut buf, a.lane, *seq, &a.payload);
                framed.push((a, *seq, offset));
                *seq += 1;
            }
        }
        if framed.is_empty() {
            return;
        }
        match self.write_frames(&buf, false, framed.len() as u64) {
            Ok((segment, at)) => {
                self.assigned.extend(next);
                let files = match self.sync_files_of(segment) {
                    Ok(files) => files,
                    Err(e) => return self.refuse(framed, &e),
                };
                for f in &mut framed {
                    f.2 += at;
                }
                self.pipeline.push(Group {
                    framed,
                    segment,
                    files,
                    at,
                    end: at + buf.len() as u64,
                });
            }
            Err(e) => self.refuse(framed, &e),
        }
    }

    /// Answers records that could not be written with `e`.
    fn refuse(&mut self, framed: Framed<T>, e: &io::Error) {
        error!(error = %e, "Spool write failed.");
        let shared = lock(&self.shared);
        for (a, _, _) in framed {
            if let Some(l) = shared.lanes.get(&a.lane) {
                l.used.fetch_sub(a.payload.len() as u64, Ordering::AcqRel);
            }
            let _ = a.reply.send(Err(SpoolError::storage(e)));
        }
    }

    /// The syncers' descriptors of `segment` (opened before its first write here).
    fn sync_files_of(&mut self, segment: u64) -> io::Result<SyncFiles> {
        match &self.sync_files {
            Some((id, files)) if *id == segment => Ok(files.clone()),
            _ => Err(io::Error::other(
                "the segment has no descriptors for the syncers",
            )),
        }
    }

    /// Writes `buf` at the end of the last segment and syncs it (for imports, before the
    /// thread starts); returns the segment and the offset it was written at.
    pub(crate) fn write(&mut self, buf: &[u8]) -> io::Result<(u64, u64)> {
        self.write_frames(buf, true, 0)
    }

    /// Writes `buf` at the end of the last segment (a new one when it is full), synced when
    /// `sync` (else the syncers sync it), counting `records` as pending in it; returns the
    /// segment and the offset it was written at.
    fn write_frames(&mut self, buf: &[u8], sync: bool, records: u64) -> io::Result<(u64, u64)> {
        let needs_segment = {
            let shared = lock(&self.shared);
            match shared.segments.last() {
                None => true,
                Some(last) => {
                    self.broken
                        || (last.len > 0 && last.len + buf.len() as u64 > self.segment_bytes)
                }
            }
        };
        if needs_segment {
            let segment = create_segment(&self.dir, self.next_segment)?;
            self.next_segment += 1;
            self.broken = false;
            lock(&self.shared).segments.push(segment);
        }
        let (id, file, at, allocated) = {
            let shared = lock(&self.shared);
            let last = shared
                .segments
                .last()
                .ok_or_else(|| io::Error::other("no segment"))?;
            (last.id, last.file.clone(), last.len, last.allocated)
        };
        if !sync && self.sync_files.as_ref().is_none_or(|(s, _)| *s != id) {
            // Before the segment's first write in this process (see `sync`).
            self.sync_files = Some((id, open_sync_files(&segment_path(&self.dir, id))?));
        }
        let end = at + buf.len() as u64;
        let mut grown = None;
        let written = (|| {
            if end > allocated {
                // Zeros ahead of the frames, synced with them: the next commits write into
                // blocks the file has.
                let size = end.div_ceil(PREALLOCATE) * PREALLOCATE;
                write_zeros(&file, allocated, size)?;
                grown = Some(size);
            }
            file.write_all_at(buf, at)?;
            if sync {
                file.sync_data()?;
            }
            Ok(())
        })();
        if let Err(e) = written {
            // Zero the partial frames, and never write after them again.
            let _ = write_zeros(&file, at, end);
            self.broken = true;
            return Err(e);
        }
        let mut shared = lock(&self.shared);
        if let Some(last) = shared.segments.last_mut() {
            last.len = end;
            // Counted now, so that the segment stays until they are published and acknowledged.
            last.pending += records;
            if let Some(size) = grown {
                last.allocated = size;
            }
        }
        self.disk.fetch_add(buf.len() as u64, Ordering::AcqRel);
        Ok((id, at))
    }

    /// Deletes the segments whose records are all acknowledged (never the last one, which
    /// takes the next appends).
    fn reclaim(&mut self) {
        let mut shared = lock(&self.shared);
        while shared.segments.len() > 1 && shared.segments[0].pending == 0 {
            let gone = shared.segments.remove(0);
            self.disk.fetch_sub(gone.len, Ordering::AcqRel);
            let path = segment_path(&self.dir, gone.id);
            if let Err(e) = std::fs::remove_file(&path) {
                error!(segment = %path.display(), error = %e, "Cannot delete a spent spool segment.");
            }
        }
    }

    fn cursors_behind(&self) -> bool {
        lock(&self.shared)
            .lanes
            .values()
            .any(|l| l.low != l.cursor.written)
    }

    /// Saves the cursors that moved, when a second has passed since the last save (or `now`).
    fn save_cursors(&mut self, now: bool) {
        if !now && self.last_sync.elapsed() < CURSOR_SYNC_INTERVAL {
            return;
        }
        let mut shared = lock(&self.shared);
        for lane in shared.lanes.values_mut() {
            if lane.low != lane.cursor.written {
                let low = lane.low;
                if let Err(e) = lane.cursor.write(low, true) {
                    error!(error = %e, "Cannot save a spool cursor.");
                }
            }
        }
        self.last_sync = Instant::now();
    }

    fn report_used(&self) {
        let shared = lock(&self.shared);
        for lane in shared.lanes.values() {
            if let Some(h) = &lane.attached {
                (h.on_used)(lane.used());
            }
        }
    }
}
