//! The writer thread: group commit of every lane's appends (one write and one `fdatasync` for
//! all of them), acknowledgements applied in memory, spent segments deleted, cursors saved.

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

use crate::log::{
    create_segment, encode_frame, segment_path, write_zeros, Loc, HEADER, PREALLOCATE,
};
use crate::state::{lock, Shared};
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
}

impl<T> Writer<T> {
    pub(crate) fn run(mut self, rx: Receiver<Request>) {
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
                    self.save_cursors(true);
                    return;
                }
            };
            while let Ok(r) = rx.try_recv() {
                group.push(r);
            }
            let appends = take_all(&self.appends);
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
            if !appends.is_empty() {
                self.commit(appends);
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

    /// Writes the appends of attached lanes as frames and syncs them, then hands each item
    /// to its lane's reader and answers.
    fn commit(&mut self, appends: Vec<Append<T>>) {
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
                let seq = next.entry(a.lane).or_insert(lane.next_seq);
                let offset = buf.len() as u64;
                encode_frame(&mut buf, a.lane, *seq, &a.payload);
                framed.push((a, *seq, offset));
                *seq += 1;
            }
        }
        if framed.is_empty() {
            return;
        }
        match self.write(&buf) {
            Ok((segment, at)) => self.publish(framed, segment, at),
            Err(e) => {
                error!(error = %e, "Spool write failed.");
                let shared = lock(&self.shared);
                for (a, _, _) in framed {
                    if let Some(l) = shared.lanes.get(&a.lane) {
                        l.used.fetch_sub(a.payload.len() as u64, Ordering::AcqRel);
                    }
                    let _ = a.reply.send(Err(SpoolError::storage(&e)));
                }
            }
        }
    }

    /// Writes `buf` at the end of the last segment (a new one when it is full) and syncs it;
    /// returns the segment and the offset it was written at.
    pub(crate) fn write(&mut self, buf: &[u8]) -> io::Result<(u64, u64)> {
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
            file.sync_data()
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
            if let Some(size) = grown {
                last.allocated = size;
            }
        }
        self.disk.fetch_add(buf.len() as u64, Ordering::AcqRel);
        Ok((id, at))
    }

    /// Indexes the written records, hands their items to the lanes' readers (in order, before
    /// the committed marks move, so a reader that sees a mark also sees every item that fit
    /// in its channel), then answers.
    fn publish(&mut self, framed: Vec<(Append<T>, u64, u64)>, segment: u64, at: u64) {
        let mut replies = Vec::with_capacity(framed.len());
        let mut touched = Vec::new();
        let mut shared = lock(&self.shared);
        let mut count = 0u64;
        for (a, seq, offset) in framed {
            let Some(lane) = shared.lanes.get_mut(&a.lane) else {
                continue;
            };
            lane.locs.push_back(Loc {
                segment,
                offset: at + offset,
                len: a.payload.len() as u32,
            });
            lane.next_seq = seq + 1;
            if let Some(h) = &lane.attached {
                // A full channel is fine: the reader reads that record back from disk.
                let _ = h.hot.try_send((seq, a.item));
            }
            touched.push(a.lane);
            replies.push((seq, a.reply));
            count += 1;
        }
        if let Some(s) = shared.segment_mut(segment) {
            s.pending += count;
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
