//! A durable, bounded on-disk queue for one output instance.
//!
//! Records (opaque payload bytes) get increasing sequence numbers and are appended to a log of
//! segment files in the spool's directory (format: [`log`]). One writer thread owns every
//! write: it takes all appends waiting at that moment, writes them with one `write` and one
//! `fdatasync` (group commit), then answers every append at once. An append is answered only
//! after its data is durable. Acknowledgements cost no disk write: they move a read cursor in
//! memory, saved at most once a second ([`cursor`]); a segment is deleted once every record in
//! it is acknowledged.
//!
//! # Crash consistency
//! - A record whose append was answered `Ok` was synced, and is read back at the next
//!   [`Spool::open`] unless it was acknowledged and the cursor saved past it.
//! - An append that was not answered may be torn by a crash; its frame fails its checksum and
//!   is cut off at the next open. Its sender never got its success answer (Falconer answers
//!   ingest 200 only after it), so no promise was made.
//! - The cursor is saved lazily, so records delivered just before a crash (up to a second of
//!   them) are delivered again: delivery is **at least once**.
//!
//! # Hot path
//! A record's item (the alert) is handed to the reader through a bounded in-memory channel
//! right after its commit, so the reader rarely reads back from disk; when the channel is
//! full, or after a restart, the reader reads the records it missed from the segments (see
//! [`Spool::read`]).
//!
//! # Earlier spools
//! Falconer's earlier spool was a [redb](https://docs.rs/redb) database at `<dir>.redb`. When
//! one is found, its records are copied into the log (synced) before the file is removed.

mod cursor;
mod legacy;
mod log;
mod writer;

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch};

use writer::{lock, Request, Segments, Writer};

/// Smallest and largest segment file.
const SEGMENT_BYTES: (u64, u64) = (1024 * 1024, 64 * 1024 * 1024);

/// Why the spool could not do something.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// The spool holds `maxbytes` already.
    #[error("spool full ({0} bytes)")]
    Full(u64),
    /// The spool was closed.
    #[error("spool closed")]
    Closed,
    /// The database failed.
    #[error("spool storage error: {0}")]
    Storage(String),
}

impl SpoolError {
    pub(crate) fn storage(e: impl std::fmt::Display) -> Self {
        SpoolError::Storage(e.to_string())
    }
}

/// Told the payload bytes a spool holds after each commit.
pub type UsedObserver = Box<dyn Fn(u64) + Send + 'static>;

/// A durable queue of payloads; `T` is the in-memory item handed to the reader on the hot path.
pub struct Spool<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Clone for Spool<T> {
    fn clone(&self) -> Self {
        Spool {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<T> {
    path: PathBuf,
    segments: Segments,
    requests: std::sync::mpsc::Sender<Request<T>>,
    acks: Arc<Mutex<Vec<u64>>>,
    used: Arc<AtomicU64>,
    disk: Arc<AtomicU64>,
    max_bytes: u64,
    segment_bytes: u64,
    /// Holds the directory's lock (`flock`) until the spool is closed.
    lock: Mutex<Option<File>>,
    committed: watch::Receiver<u64>,
    first_pending: u64,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl<T> std::fmt::Debug for Spool<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool")
            .field("path", &self.inner.path)
            .field("used", &self.used())
            .finish()
    }
}

impl<T: Send + 'static> Spool<T> {
    /// Opens (or creates) the spool in the directory `path`, holding at most `max_bytes` of
    /// payload. Items of committed appends are offered to `hot` (dropped when it is full; the
    /// reader then reads them back from disk).
    /// `on_used` is told the payload bytes held after every commit (for a gauge).
    pub fn open(
        path: &Path,
        max_bytes: u64,
        hot: mpsc::Sender<(u64, T)>,
        on_used: UsedObserver,
    ) -> Result<Spool<T>, SpoolError> {
        std::fs::create_dir_all(path)
            .map_err(|e| SpoolError::Storage(format!("cannot create {}: {e}", path.display())))?;
        let lock_file = lock_dir(path)?;
        let cursor = cursor::Cursor::open(path).map_err(SpoolError::storage)?;
        let segments = log::open_segments(path).map_err(SpoolError::storage)?;
        let last = segments
            .iter()
            .filter_map(log::Segment::last_seq)
            .max()
            .unwrap_or(0)
            .max(cursor.written.saturating_sub(1));
        let low = cursor
            .written
            .max(segments.first().map_or(0, |s| s.first_seq))
            .max(1);
        let used: u64 = segments
            .iter()
            .flat_map(|s| (low.max(s.first_seq)..=s.last_seq().unwrap_or(0)).map(move |q| (s, q)))
            .filter_map(|(s, q)| s.payload_len(q))
            .sum();
        let disk: u64 = segments.iter().map(|s| s.len).sum();
        let next_segment = segments.last().map_or(1, |s| s.id + 1);
        let segment_bytes = (max_bytes / 8).clamp(SEGMENT_BYTES.0, SEGMENT_BYTES.1);
        let segments: Segments = Arc::new(Mutex::new(segments));
        let used = Arc::new(AtomicU64::new(used));
        let disk = Arc::new(AtomicU64::new(disk));
        let (committed_tx, committed) = watch::channel(last);
        let acks = Arc::new(Mutex::new(Vec::new()));
        let mut writer = Writer {
            dir: path.to_owned(),
            segments: segments.clone(),
            segment_bytes,
            next_segment,
            broken: false,
            next_seq: last + 1,
            low: low.min(last + 1),
            acked: BTreeSet::new(),
            acks: acks.clone(),
            cursor,
            used: used.clone(),
            disk: disk.clone(),
            committed: committed_tx,
            hot,
            on_used,
        };
        legacy::import(path, &mut writer)?;
        let first_pending = writer.low;
        let (requests, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("falconer-spool".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| SpoolError::Storage(format!("cannot start the writer thread: {e}")))?;
        Ok(Spool {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                segments,
                requests,
                acks,
                used,
                disk,
                max_bytes,
                segment_bytes,
                lock: Mutex::new(Some(lock_file)),
                committed,
                first_pending,
                thread: Mutex::new(Some(thread)),
            }),
        })
    }
}

/// Takes the spool directory's lock: two processes must not write one spool.
fn lock_dir(dir: &Path) -> Result<File, SpoolError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join("lock"))
        .map_err(SpoolError::storage)?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).map_err(
        |e| {
            SpoolError::Storage(format!(
                "{} is in use by another process ({e})",
                dir.display()
            ))
        },
    )?;
    Ok(file)
}

impl<T> Spool<T> {
    /// Reserves room for `payload` and queues it for the next commit. The receiver answers
    /// with the record's sequence number once it is durable. Fails at once when the spool is
    /// full or closed.
    pub fn append(
        &self,
        payload: Bytes,
        item: T,
    ) -> Result<oneshot::Receiver<Result<u64, SpoolError>>, SpoolError> {
        let len = payload.len() as u64;
        if len > log::max_payload() {
            return Err(SpoolError::Storage(format!(
                "record of {len} bytes is too large"
            )));
        }
        // Acknowledged records share segments with pending ones until the segment is spent;
        // past one segment of them, the disk is full too.
        if self.inner.disk.load(Ordering::Acquire) > self.inner.max_bytes + self.inner.segment_bytes
        {
            return Err(SpoolError::Full(self.inner.max_bytes));
        }
        let reserved = self
            .inner
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                (used + len <= self.inner.max_bytes).then_some(used + len)
            });
        if reserved.is_err() {
            return Err(SpoolError::Full(self.inner.max_bytes));
        }
        let (reply, answer) = oneshot::channel();
        if self
            .inner
            .requests
            .send(Request::Append {
                payload,
                item,
                reply,
            })
            .is_err()
        {
            self.inner.used.fetch_sub(len, Ordering::AcqRel);
            return Err(SpoolError::Closed);
        }
        Ok(answer)
    }

    /// Acknowledges records: the writer moves the cursor past them.
    pub fn ack(&self, seqs: Vec<u64>) {
        if seqs.is_empty() {
            return;
        }
        let mut acks = self
            .inner
            .acks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // The writer is woken once for all the acknowledgements that gather meanwhile.
        let wake = acks.is_empty();
        acks.extend(seqs);
        drop(acks);
        if wake {
            // After close the records simply stay: they are delivered again at the next start.
            let _ = self.inner.requests.send(Request::Acks);
        }
    }

    /// Records from sequence number `from` on, up to the last committed one, at most `limit`
    /// of them (acknowledged ones too, while their segment is kept). Reads the segment files
    /// (the page cache, usually); meant for the cold path.
    pub fn read(&self, from: u64, limit: usize) -> Result<Vec<(u64, Bytes)>, SpoolError> {
        let last = self.committed();
        if from > last || limit == 0 {
            return Ok(Vec::new());
        }
        let segments = lock(&self.inner.segments);
        let mut out = Vec::new();
        for segment in segments.iter() {
            if out.len() >= limit {
                break;
            }
            if segment.last_seq().is_none_or(|l| l < from) {
                continue;
            }
            let start = out.last().map_or(from, |(seq, _): &(u64, Bytes)| seq + 1);
            let records = segment
                .read(start, last, limit - out.len())
                .map_err(SpoolError::storage)?;
            out.extend(records);
        }
        Ok(out)
    }

    /// The highest committed sequence number (0 before the first).
    pub fn committed(&self) -> u64 {
        *self.inner.committed.borrow()
    }

    /// Waits until a record after `seq` is committed (or the spool is closed).
    pub async fn wait_beyond(&self, seq: u64) {
        let mut committed = self.inner.committed.clone();
        let _ = committed.wait_for(|c| *c > seq).await;
    }

    /// The first sequence number that was still pending when the spool was opened: the
    /// reader starts there.
    pub fn first_pending(&self) -> u64 {
        self.inner.first_pending
    }

    /// Payload bytes held (records appended and not yet deleted).
    pub fn used(&self) -> u64 {
        self.inner.used.load(Ordering::Acquire)
    }

    /// The spool's directory.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Saves the cursor (acknowledgements included) durably and stops the writer.
    /// Appends after this fail with [`SpoolError::Closed`].
    pub async fn close(&self) -> Result<(), SpoolError> {
        let (reply, answer) = oneshot::channel();
        if self.inner.requests.send(Request::Close(reply)).is_err() {
            return Ok(());
        }
        let result = answer.await.unwrap_or(Ok(()));
        let thread = self
            .inner
            .thread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        // Another instance of the output (after a reload) may open the spool now.
        self.inner
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        result
    }
}

#[cfg(test)]
mod tests;
