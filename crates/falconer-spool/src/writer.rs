//! The writer thread: group commit of appends, and acknowledgements applied in memory.

use std::collections::BTreeSet;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::error;

use crate::cursor::Cursor;
use crate::log::{
    create_segment, encode_frame, segment_path, write_zeros, Segment, HEADER, PREALLOCATE,
};
use crate::SpoolError;

/// Most appends written in one group.
const MAX_GROUP: usize = 4096;

/// Most payload bytes written in one group.
const MAX_GROUP_BYTES: usize = 16 * 1024 * 1024;

/// How often at most the cursor is synced; a crash redelivers at most this much of
/// acknowledged alerts.
pub(crate) const CURSOR_SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// Where an append's sequence number (or failure) is sent.
pub(crate) type Reply = oneshot::Sender<Result<u64, SpoolError>>;

/// An append waiting for its commit.
type Pending<T> = (Bytes, T, Reply);

pub(crate) enum Request<T> {
    Append {
        payload: Bytes,
        item: T,
        reply: Reply,
    },
    /// Acknowledgements are waiting in [`Writer::acks`].
    Acks,
    Close(oneshot::Sender<Result<(), SpoolError>>),
}

/// The segments, shared by the writer (the only one to change them) and readers.
pub(crate) type Segments = Arc<Mutex<Vec<Segment>>>;

pub(crate) fn lock(segments: &Segments) -> MutexGuard<'_, Vec<Segment>> {
    segments
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) struct Writer<T> {
    pub(crate) dir: PathBuf,
    pub(crate) segments: Segments,
    pub(crate) segment_bytes: u64,
    pub(crate) next_segment: u64,
    /// The last segment must not be written to again (a write to it failed).
    pub(crate) broken: bool,
    pub(crate) next_seq: u64,
    /// The lowest sequence number not acknowledged.
    pub(crate) low: u64,
    /// Acknowledged sequence numbers above `low`.
    pub(crate) acked: BTreeSet<u64>,
    /// Acknowledgements not yet applied (one wake-up request for many).
    pub(crate) acks: Arc<Mutex<Vec<u64>>>,
    pub(crate) cursor: Cursor,
    pub(crate) used: Arc<AtomicU64>,
    pub(crate) disk: Arc<AtomicU64>,
    pub(crate) committed: watch::Sender<u64>,
    pub(crate) hot: mpsc::Sender<(u64, T)>,
    pub(crate) on_used: crate::UsedObserver,
}

impl<T> Writer<T> {
    pub(crate) fn run(mut self, rx: Receiver<Request<T>>) {
        let mut last_sync = Instant::now();
        loop {
            let first = if self.low != self.cursor.written {
                rx.recv_timeout(CURSOR_SYNC_INTERVAL.saturating_sub(last_sync.elapsed()))
            } else {
                rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
            };
            let mut group = match first {
                Ok(request) => vec![request],
                Err(RecvTimeoutError::Timeout) => Vec::new(),
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let mut bytes = 0usize;
            while group.len() < MAX_GROUP && bytes < MAX_GROUP_BYTES {
                match rx.try_recv() {
                    Ok(r) => {
                        if let Request::Append { payload, .. } = &r {
                            bytes += payload.len();
                        }
                        group.push(r);
                    }
                    Err(_) => break,
                }
            }
            let mut appends = Vec::new();
            let mut close = None;
            for request in group {
                match request {
                    Request::Append {
                        payload,
                        item,
                        reply,
                    } => appends.push((payload, item, reply)),
                    Request::Acks => {}
                    Request::Close(reply) => close = Some(reply),
                }
            }
            let acks = std::mem::take(
                &mut *self
                    .acks
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            self.ack(&acks);
            if !appends.is_empty() {
                match self.write(&appends) {
                    Ok(()) => self.publish(appends),
                    Err(e) => {
                        error!(error = %e, "Spool write failed.");
                        for (payload, _, reply) in appends {
                            self.used.fetch_sub(payload.len() as u64, Ordering::AcqRel);
                            let _ = reply.send(Err(SpoolError::storage(&e)));
                        }
                    }
                }
            }
            self.reclaim();
            let closing = close.is_some();
            if self.low != self.cursor.written
                && (closing || last_sync.elapsed() >= CURSOR_SYNC_INTERVAL)
            {
                match self.cursor.write(self.low, true) {
                    Ok(()) => last_sync = Instant::now(),
                    Err(e) => error!(error = %e, "Cannot save the spool's cursor."),
                }
            }
            (self.on_used)(self.used.load(Ordering::Acquire));
            if let Some(reply) = close {
                let result = self.cursor.sync().map_err(|e| SpoolError::storage(&e));
                let _ = reply.send(result);
                // Whatever raced the close is refused, with room given back.
                while let Ok(request) = rx.try_recv() {
                    if let Request::Append { payload, reply, .. } = request {
                        self.used.fetch_sub(payload.len() as u64, Ordering::AcqRel);
                        let _ = reply.send(Err(SpoolError::Closed));
                    }
                }
                return;
            }
        }
    }

    /// Writes `appends` as frames at the end of the last segment (a new one when it is full)
    /// and syncs them.
    pub(crate) fn write(&mut self, appends: &[Pending<T>]) -> io::Result<()> {
        let size: usize = appends.iter().map(|(p, _, _)| HEADER + p.len()).sum();
        let mut buf = Vec::with_capacity(size);
        for (i, (payload, _, _)) in appends.iter().enumerate() {
            encode_frame(&mut buf, self.next_seq + i as u64, payload);
        }
        self.write_frames(&buf, appends.len())
    }

    /// Writes `buf` (`count` frames numbered from `next_seq`) and syncs it.
    pub(crate) fn write_frames(&mut self, buf: &[u8], count: usize) -> io::Result<()> {
        let needs_segment = {
            let segments = lock(&self.segments);
            match segments.last() {
                None => true,
                Some(last) => {
                    self.broken
                        || (last.len > 0 && last.len + buf.len() as u64 > self.segment_bytes)
                }
            }
        };
        if needs_segment {
            let segment = create_segment(&self.dir, self.next_segment, self.next_seq)?;
            self.next_segment += 1;
            self.broken = false;
            lock(&self.segments).push(segment);
        }
        let (file, at, allocated) = {
            let segments = lock(&self.segments);
            let last = segments
                .last()
                .ok_or_else(|| io::Error::other("no segment"))?;
            (last.file.clone(), last.len, last.allocated)
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
        let mut segments = lock(&self.segments);
        if let Some(last) = segments.last_mut() {
            if last.offsets.is_empty() {
                last.first_seq = self.next_seq;
            }
            let mut offset = at;
            let mut rest = buf;
            for _ in 0..count {
                // Offsets fit: a segment is rolled past `segment_bytes` (≤ 64 MiB) and a
                // group holds at most MAX_GROUP_BYTES of payload.
                last.offsets.push(offset as u32);
                let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
                offset += (HEADER + len) as u64;
                rest = &rest[HEADER + len..];
            }
            last.len = end;
            if let Some(size) = grown {
                last.allocated = size;
            }
        }
        self.disk.fetch_add(buf.len() as u64, Ordering::AcqRel);
        Ok(())
    }

    fn ack(&mut self, seqs: &[u64]) {
        let segments = lock(&self.segments);
        for &seq in seqs {
            if seq < self.low || seq >= self.next_seq || !self.acked.insert(seq) {
                continue;
            }
            let at = segments.partition_point(|s| s.first_seq <= seq);
            if let Some(len) = at.checked_sub(1).and_then(|i| segments[i].payload_len(seq)) {
                self.used.fetch_sub(len, Ordering::AcqRel);
            }
        }
        drop(segments);
        while self.acked.remove(&self.low) {
            self.low += 1;
        }
    }

    /// Deletes the segments whose records are all acknowledged (never the last one, which
    /// takes the next appends).
    fn reclaim(&mut self) {
        let mut segments = lock(&self.segments);
        while segments.len() > 1 && segments[0].last_seq().is_none_or(|last| last < self.low) {
            let gone = segments.remove(0);
            self.disk.fetch_sub(gone.len, Ordering::AcqRel);
            let path = segment_path(&self.dir, gone.id);
            if let Err(e) = std::fs::remove_file(&path) {
                error!(segment = %path.display(), error = %e, "Cannot delete a spent spool segment.");
            }
        }
    }

    /// Hands committed items to the reader (in order, before the committed mark moves, so a
    /// reader that sees the mark also sees every item that fit in the channel), then answers.
    fn publish(&mut self, appends: Vec<Pending<T>>) {
        let mut replies = Vec::with_capacity(appends.len());
        for (_, item, reply) in appends {
            let seq = self.next_seq;
            self.next_seq += 1;
            // A full channel is fine: the reader reads that record back from disk.
            let _ = self.hot.try_send((seq, item));
            replies.push((seq, reply));
        }
        let last = self.next_seq - 1;
        self.committed.send_replace(last);
        for (seq, reply) in replies {
            let _ = reply.send(Ok(seq));
        }
    }
}
