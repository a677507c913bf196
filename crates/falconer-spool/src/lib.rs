//! A durable, bounded on-disk queue for each spooled output, all in one shared log.
//!
//! Records (opaque payload bytes) are appended to a log of segment files in the spool
//! directory (format: the `log` module); each record belongs to one output's **lane** and
//! gets that lane's next sequence number. One writer thread owns every write: it takes all appends
//! waiting at that moment, for every lane, and writes their frames with one `write` (group
//! commit). Syncer threads make the groups durable with `fdatasync`, two at once, and
//! each group is answered once it is synced and every older group is answered (the `sync`
//! module). An alert for three spooled outputs is three frames in one write and one sync, not
//! three databases and three syncs. An append is answered only after its data is durable.
//! The spool's threads run under `SCHED_BATCH`: an append does not preempt the ingest thread
//! that made it, so the appends of a burst gather into one group.
//!
//! Acknowledgements cost no disk write: they move the lane's read cursor in memory, saved at
//! most once a second (the `cursor` module). A segment file is deleted once every record in
//! it is acknowledged.
//!
//! # Crash consistency
//! - A record whose append was answered `Ok` was synced, and is read back at the next
//!   [`Log::open`] unless it was acknowledged and its lane's cursor saved past it.
//! - An append that was not answered may be torn by a crash; its frame fails its checksum and
//!   is zeroed at the next open. Its sender never got its success answer (Falconer answers
//!   ingest 200 only after it), so no promise was made.
//! - Cursors are saved lazily, so records delivered just before a crash (up to a second of
//!   them) are delivered again: delivery is **at least once**.
//!
//! # Hot path
//! A record's item (the alert) is handed to its lane's reader through a bounded in-memory
//! channel right after its commit, so the reader rarely reads back from disk; when the
//! channel is full, or after a restart, the reader reads the records it missed from the
//! segments (see [`Spool::read`]).
//!
//! # Outputs that are gone, and earlier spools
//! [`Log::open`] is told the spooled outputs and names the others that left records. Their
//! records are read with [`Log::take_pending`] (to be kept as dead letters) and acknowledged
//! with [`Log::forget`] once kept, so they cannot hold the log's segments forever and a crash
//! in between keeps them twice rather than never. Falconer's earlier spool was a [redb](https://docs.rs/redb) database per output at
//! `<dir>/<output>.redb`; when one is found for a spooled output, its records are copied into
//! the output's lane (synced) before the file is removed.

mod cursor;
mod lanes;
mod legacy;
mod log;
mod state;
mod sync;
mod writer;

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::warn;

use state::{lock, Attached, Shared, MISSING};
use writer::{take_all, Acks, Append, Appends, Request, Writer};

/// Segment files are rolled past this size.
const SEGMENT_BYTES: u64 = 16 * 1024 * 1024;

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

/// Told the payload bytes a lane holds after each commit.
pub type UsedObserver = Box<dyn Fn(u64) + Send + 'static>;

/// Pending records of an output that is no longer spooled, read by [`Log::take_pending`].
#[derive(Debug)]
pub struct Orphan {
    /// The output's name.
    pub output: String,
    /// Its records' payloads, in order.
    pub payloads: Vec<Bytes>,
    /// The last record read: [`Log::forget`] it once the payloads are kept elsewhere.
    pub upto: u64,
}

/// The shared log of a spool directory; [`Log::attach`] gives each output its [`Spool`].
pub struct Log<T> {
    inner: Arc<LogInner<T>>,
}

impl<T> Clone for Log<T> {
    fn clone(&self) -> Self {
        Log {
            inner: self.inner.clone(),
        }
    }
}

impl<T> std::fmt::Debug for Log<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log").field("dir", &self.inner.dir).finish()
    }
}

struct LogInner<T> {
    dir: PathBuf,
    shared: Arc<Mutex<Shared<T>>>,
    requests: Option<std::sync::mpsc::Sender<Request>>,
    acks: Acks,
    appends: Appends<T>,
    /// Bytes of frames in the segments.
    disk: Arc<AtomicU64>,
    /// `maxbytes` of the attached lanes, summed: the disk may hold this plus one segment.
    budget: AtomicU64,
    segment_bytes: u64,
    generation: AtomicU64,
    thread: Option<JoinHandle<()>>,
    /// Holds the directory's lock (`flock`) while the log is open.
    _lock: File,
}

impl<T> Drop for LogInner<T> {
    fn drop(&mut self) {
        // The writer saves every cursor when its channel closes; wait for it, so that the
        // directory is free once the log is gone.
        self.requests.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl<T: Send + 'static> Log<T> {
    /// Opens (or creates) the spool directory `dir` for the spooled outputs `outputs`.
    /// Returns the names of the other outputs that left records in it (see
    /// [`Log::take_pending`]).
    pub fn open(dir: &Path, outputs: &[&str]) -> Result<(Log<T>, Vec<String>), SpoolError> {
        Self::open_sized(dir, outputs, SEGMENT_BYTES)
    }

    pub(crate) fn open_sized(
        dir: &Path,
        outputs: &[&str],
        segment_bytes: u64,
    ) -> Result<(Log<T>, Vec<String>), SpoolError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| SpoolError::Storage(format!("cannot create {}: {e}", dir.display())))?;
        let lock_file = lock_dir(dir)?;
        let registry = lanes::Registry::open(dir).map_err(SpoolError::storage)?;
        let (mut segments, found) = log::open_segments(dir).map_err(SpoolError::storage)?;
        let lanes = state::build_lanes(dir, &registry, &mut segments, found)
            .map_err(SpoolError::storage)?;
        let disk: u64 = segments.iter().map(|s| s.len).sum();
        let next_segment = segments.last().map_or(1, |s| s.id + 1);
        let shared = Arc::new(Mutex::new(Shared {
            segments,
            lanes,
            registry,
        }));
        let acks: Acks = Arc::new(Mutex::new(Vec::new()));
        let appends: Appends<T> = Arc::new(Mutex::new(Vec::new()));
        let disk = Arc::new(AtomicU64::new(disk));
        let (pipeline, syncers) = sync::Pipeline::start(shared.clone())
            .map_err(|e| SpoolError::Storage(format!("cannot start the syncer threads: {e}")))?;
        let mut writer = Writer {
            dir: dir.to_owned(),
            shared: shared.clone(),
            acks: acks.clone(),
            appends: appends.clone(),
            segment_bytes,
            next_segment,
            broken: false,
            disk: disk.clone(),
            last_sync: Instant::now(),
            pipeline,
            syncers,
            assigned: std::collections::HashMap::new(),
            sync_files: None,
        };
        for name in outputs {
            let id = lock(&shared)
                .lane_named(dir, name)
                .map_err(SpoolError::storage)?;
            legacy::import(dir, name, id, &mut writer)?;
        }
        let orphans = others_pending(&lock(&shared), outputs);
        let (requests, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("falconer-spool".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| SpoolError::Storage(format!("cannot start the writer thread: {e}")))?;
        let log = Log {
            inner: Arc::new(LogInner {
                dir: dir.to_owned(),
                shared,
                requests: Some(requests),
                acks,
                appends,
                disk,
                budget: AtomicU64::new(0),
                segment_bytes,
                generation: AtomicU64::new(1),
                thread: Some(thread),
                _lock: lock_file,
            }),
        };
        Ok((log, orphans))
    }
}

impl<T> Log<T> {
    /// The spool of output `name`, holding at most `max_bytes` of its payloads. Items of
    /// committed appends are offered to `hot` (dropped when it is full; the reader then reads
    /// them back from disk). `on_used` is told the payload bytes held after every commit (for
    /// a gauge). Another handle of the same output stops working.
    pub fn attach(
        &self,
        name: &str,
        max_bytes: u64,
        hot: mpsc::Sender<(u64, T)>,
        on_used: UsedObserver,
    ) -> Result<Spool<T>, SpoolError> {
        let generation = self.inner.generation.fetch_add(1, Ordering::AcqRel);
        let mut shared = lock(&self.inner.shared);
        let id = shared
            .lane_named(&self.inner.dir, name)
            .map_err(SpoolError::storage)?;
        let lane = shared
            .lanes
            .get_mut(&id)
            .ok_or_else(|| SpoolError::Storage(format!("no lane for {name}")))?;
        on_used(lane.used());
        lane.attached = Some(Attached {
            hot,
            on_used,
            generation,
        });
        self.inner.budget.fetch_add(max_bytes, Ordering::AcqRel);
        Ok(Spool {
            inner: Arc::new(SpoolInner {
                log: self.inner.clone(),
                lane: id,
                generation,
                used: lane.used.clone(),
                max_bytes,
                committed: lane.committed.subscribe(),
                first_pending: lane.low,
                closed: AtomicBool::new(false),
            }),
        })
    }

    /// The spool directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Reads up to `limit` pending records of output `name`, once no handle of it is attached
    /// (an output that is gone, or whose spool was turned off), without acknowledging them;
    /// `None` when it has none, or is attached.
    pub fn take_pending(&self, name: &str, limit: usize) -> Result<Option<Orphan>, SpoolError> {
        let shared = lock(&self.inner.shared);
        let Some(id) = shared.registry.by_name.get(name).copied() else {
            return Ok(None);
        };
        let Some(lane) = shared.lanes.get(&id).filter(|l| l.attached.is_none()) else {
            return Ok(None);
        };
        let pending: Vec<(u64, log::Loc, Arc<File>)> = (lane.low..lane.next_seq)
            .filter(|s| !lane.acked.contains(s))
            .filter_map(|s| lane.loc(s).map(|l| (s, l)))
            .filter(|(_, l)| l.segment != MISSING)
            .filter_map(|(s, l)| shared.segment_file(l.segment).map(|f| (s, l, f)))
            .take(limit)
            .collect();
        drop(shared);
        let Some(upto) = pending.last().map(|(s, _, _)| *s) else {
            return Ok(None);
        };
        let mut payloads = Vec::with_capacity(pending.len());
        for (seq, loc, file) in pending {
            match log::read_frame(&file, loc, id, seq) {
                Ok(p) => payloads.push(p),
                Err(e) => {
                    warn!(output = name, seq, error = %e, "A record of an output no longer spooled cannot be read back.");
                }
            }
        }
        Ok(Some(Orphan {
            output: name.to_owned(),
            payloads,
            upto,
        }))
    }

    /// Acknowledges the records of output `name` up to `upto` (those [`Log::take_pending`]
    /// read, now kept elsewhere), and saves its cursor.
    pub fn forget(&self, name: &str, upto: u64) -> Result<(), SpoolError> {
        let mut shared = lock(&self.inner.shared);
        let Some(id) = shared.registry.by_name.get(name).copied() else {
            return Ok(());
        };
        let low = shared.lanes.get(&id).map_or(upto + 1, |l| l.low);
        for seq in low..=upto {
            let loc = shared.lanes.get_mut(&id).and_then(|l| l.ack(seq));
            if let Some(segment) = loc.and_then(|l| shared.segment_mut(l.segment)) {
                segment.pending = segment.pending.saturating_sub(1);
            }
        }
        if let Some(lane) = shared.lanes.get_mut(&id) {
            let low = lane.low;
            lane.cursor.write(low, true).map_err(SpoolError::storage)?;
        }
        Ok(())
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

/// The names of the lanes not in `outputs` that hold pending records.
fn others_pending<T>(shared: &Shared<T>, outputs: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = shared
        .lanes
        .iter()
        .filter(|(_, l)| (l.low..l.next_seq).any(|s| !l.acked.contains(&s)))
        .map(|(id, _)| {
            shared
                .registry
                .name(*id)
                .map_or_else(|| format!("#{id}"), str::to_owned)
        })
        .filter(|name| !outputs.contains(&name.as_str()))
        .collect();
    names.sort();
    names
}

/// One output's spool: its lane of the shared log.
pub struct Spool<T> {
    inner: Arc<SpoolInner<T>>,
}

struct SpoolInner<T> {
    log: Arc<LogInner<T>>,
    lane: u32,
    generation: u64,
    used: Arc<AtomicU64>,
    max_bytes: u64,
    committed: watch::Receiver<u64>,
    first_pending: u64,
    closed: AtomicBool,
}

impl<T> Drop for SpoolInner<T> {
    fn drop(&mut self) {
        if !self.closed.swap(true, Ordering::AcqRel) {
            self.log.budget.fetch_sub(self.max_bytes, Ordering::AcqRel);
        }
    }
}

impl<T> Clone for Spool<T> {
    fn clone(&self) -> Self {
        Spool {
            inner: self.inner.clone(),
        }
    }
}

impl<T> std::fmt::Debug for Spool<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool")
            .field("dir", &self.inner.log.dir)
            .field("lane", &self.inner.lane)
            .field("used", &self.used())
            .finish()
    }
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
        let inner = &self.inner;
        if inner.closed.load(Ordering::Acquire) {
            return Err(SpoolError::Closed);
        }
        let len = payload.len() as u64;
        if len > log::max_payload() {
            return Err(SpoolError::Storage(format!(
                "record of {len} bytes is too large"
            )));
        }
        // Acknowledged records share segments with pending ones until the segment is spent;
        // past one segment of them, the disk is full too.
        let log = &inner.log;
        if log.disk.load(Ordering::Acquire) > log.budget.load(Ordering::Acquire) + log.segment_bytes
        {
            return Err(SpoolError::Full(inner.max_bytes));
        }
        let reserved = inner
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                (used + len <= inner.max_bytes).then_some(used + len)
            });
        if reserved.is_err() {
            return Err(SpoolError::Full(inner.max_bytes));
        }
        let (reply, answer) = oneshot::channel();
        let mut appends = log
            .appends
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // The writer is woken once for all the appends that gather meanwhile.
        let wake = appends.is_empty();
        appends.push(Append {
            lane: inner.lane,
            generation: inner.generation,
            payload,
            item,
            reply,
        });
        drop(appends);
        let woken = !wake
            || log
                .requests
                .as_ref()
                .is_some_and(|r| r.send(Request::Work).is_ok());
        if !woken {
            // The writer is gone: nothing waiting will be written.
            for a in take_all(&log.appends) {
                if let Some(lane) = lock(&log.shared).lanes.get(&a.lane) {
                    lane.used
                        .fetch_sub(a.payload.len() as u64, Ordering::AcqRel);
                }
                let _ = a.reply.send(Err(SpoolError::Closed));
            }
        }
        Ok(answer)
    }

    /// Acknowledges records: the writer moves the lane's cursor past them.
    pub fn ack(&self, seqs: Vec<u64>) {
        if seqs.is_empty() {
            return;
        }
        let log = &self.inner.log;
        let mut acks = log
            .acks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // The writer is woken once for all the acknowledgements that gather meanwhile.
        let wake = acks.is_empty();
        acks.extend(seqs.into_iter().map(|s| (self.inner.lane, s)));
        drop(acks);
        if wake {
            if let Some(r) = &log.requests {
                // After close the records simply stay: delivered again at the next start.
                let _ = r.send(Request::Work);
            }
        }
    }

    /// Records from sequence number `from` on, up to the last committed one, at most `limit`
    /// of them. Reads the segment files (the page cache, usually); meant for the cold path.
    pub fn read(&self, from: u64, limit: usize) -> Result<Vec<(u64, Bytes)>, SpoolError> {
        let last = self.committed();
        if from > last || limit == 0 {
            return Ok(Vec::new());
        }
        let lane = self.inner.lane;
        let wanted: Vec<(u64, log::Loc, Arc<File>)> = {
            let shared = lock(&self.inner.log.shared);
            let Some(l) = shared.lanes.get(&lane) else {
                return Ok(Vec::new());
            };
            (from.max(l.first)..=last)
                .filter_map(|seq| l.loc(seq).map(|loc| (seq, loc)))
                .filter(|(_, loc)| loc.segment != MISSING)
                .filter_map(|(seq, loc)| shared.segment_file(loc.segment).map(|f| (seq, loc, f)))
                .take(limit)
                .collect()
        };
        wanted
            .into_iter()
            .map(|(seq, loc, file)| {
                log::read_frame(&file, loc, lane, seq)
                    .map(|p| (seq, p))
                    .map_err(SpoolError::storage)
            })
            .collect()
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

    /// The first sequence number that was still pending when the spool was attached: the
    /// reader starts there.
    pub fn first_pending(&self) -> u64 {
        self.inner.first_pending
    }

    /// Payload bytes held (records appended and not yet acknowledged).
    pub fn used(&self) -> u64 {
        self.inner.used.load(Ordering::Acquire)
    }

    /// The spool directory.
    pub fn path(&self) -> &Path {
        &self.inner.log.dir
    }

    /// Saves the lane's cursor (acknowledgements included) durably and lets go of the lane.
    /// Appends after this fail with [`SpoolError::Closed`].
    pub async fn close(&self) -> Result<(), SpoolError> {
        let inner = &self.inner;
        if inner.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        inner
            .log
            .budget
            .fetch_sub(inner.max_bytes, Ordering::AcqRel);
        let (reply, answer) = oneshot::channel();
        let sent = inner.log.requests.as_ref().is_some_and(|r| {
            r.send(Request::Close {
                lane: inner.lane,
                generation: inner.generation,
                reply,
            })
            .is_ok()
        });
        if !sent {
            return Ok(());
        }
        answer.await.unwrap_or(Ok(()))
    }
}

#[cfg(test)]
mod tests;
