//! A durable, bounded on-disk queue for one output instance.
//!
//! Records (opaque payload bytes) get increasing sequence numbers and are kept in a
//! [redb](https://docs.rs/redb) database until they are acknowledged. One writer thread owns
//! every write: it takes all appends and acknowledgements waiting at that moment, writes them
//! in one transaction and commits it with one `fsync` (group commit), then answers every
//! append at once. An append is answered only after its commit is durable.
//!
//! # Crash consistency
//! redb commits are atomic and, with `Durability::Immediate`, durable when `commit` returns
//! (copy-on-write B-trees, checksummed, with a two-slot commit header). So:
//! - a record whose append was answered `Ok` survives a crash (`kill -9`, power loss after
//!   the fsync), and is read back at the next [`Spool::open`];
//! - an append that was not answered may or may not be there after a crash; its sender never
//!   got its success answer (Falconer answers ingest 200 only after it), so no promise was made;
//! - an acknowledgement is written in a later transaction, usually without its own fsync
//!   (the next append's fsync carries it). A crash can lose acknowledgements, so records
//!   delivered just before a crash are delivered again: delivery is **at least once**.
//!
//! # Hot path
//! A record's item (the parsed alert) is handed to the reader through a bounded in-memory
//! channel right after its commit, so the reader rarely reads back from disk; when the
//! channel is full, or after a restart, the reader reads the records it missed from the
//! database (see [`Spool::read`]).

mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use bytes::Bytes;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::{mpsc, oneshot, watch};

use writer::{Request, Writer};

/// redb's page cache per spool. The hot path rarely reads back, so a small cache bounds
/// memory without costing throughput.
const CACHE_BYTES: usize = 8 * 1024 * 1024;

/// The one table: sequence number → payload.
const RECORDS: TableDefinition<u64, &[u8]> = TableDefinition::new("records");

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
    fn storage(e: impl std::fmt::Display) -> Self {
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
    db: Arc<Database>,
    requests: std::sync::mpsc::Sender<Request<T>>,
    used: Arc<AtomicU64>,
    max_bytes: u64,
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
    /// Opens (or creates) the spool at `path`, holding at most `max_bytes` of payload.
    /// Items of committed appends are offered to `hot` (dropped when it is full; the reader
    /// then reads them back from disk).
    /// `on_used` is told the payload bytes held after every commit (for a gauge).
    pub fn open(
        path: &Path,
        max_bytes: u64,
        hot: mpsc::Sender<(u64, T)>,
        on_used: UsedObserver,
    ) -> Result<Spool<T>, SpoolError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                SpoolError::Storage(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(SpoolError::storage)?;
        let (used, first, last) = scan(&db)?;
        let db = Arc::new(db);
        let used = Arc::new(AtomicU64::new(used));
        let (committed_tx, committed) = watch::channel(last);
        let (requests, rx) = std::sync::mpsc::channel();
        let writer = Writer {
            db: db.clone(),
            used: used.clone(),
            next_seq: last + 1,
            committed: committed_tx,
            hot,
            on_used,
        };
        let thread = std::thread::Builder::new()
            .name("falconer-spool".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| SpoolError::Storage(format!("cannot start the writer thread: {e}")))?;
        Ok(Spool {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                db,
                requests,
                used,
                max_bytes,
                committed,
                first_pending: first.unwrap_or(last + 1),
                thread: Mutex::new(Some(thread)),
            }),
        })
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
        let len = payload.len() as u64;
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

    /// Acknowledges records: they are deleted in a coming transaction.
    pub fn ack(&self, seqs: Vec<u64>) {
        if !seqs.is_empty() {
            // After close the records simply stay: they are delivered again at the next start.
            let _ = self.inner.requests.send(Request::Ack(seqs));
        }
    }

    /// Records from sequence number `from` on, up to the last committed one, at most `limit`
    /// of them. Reads the database (page cache, usually); meant for the cold path.
    pub fn read(&self, from: u64, limit: usize) -> Result<Vec<(u64, Bytes)>, SpoolError> {
        let last = self.committed();
        if from > last || limit == 0 {
            return Ok(Vec::new());
        }
        let txn = self.inner.db.begin_read().map_err(SpoolError::storage)?;
        let table = match txn.open_table(RECORDS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(SpoolError::storage(e)),
        };
        let mut out = Vec::new();
        for entry in table.range(from..=last).map_err(SpoolError::storage)? {
            let (seq, payload) = entry.map_err(SpoolError::storage)?;
            out.push((seq.value(), Bytes::copy_from_slice(payload.value())));
            if out.len() >= limit {
                break;
            }
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

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Writes what is pending (acknowledgements included) durably and stops the writer.
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
        result
    }
}

/// Payload bytes held, first and last sequence numbers of an existing database.
fn scan(db: &Database) -> Result<(u64, Option<u64>, u64), SpoolError> {
    let txn = db.begin_read().map_err(SpoolError::storage)?;
    let table = match txn.open_table(RECORDS) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok((0, None, 0)),
        Err(e) => return Err(SpoolError::storage(e)),
    };
    let mut used = 0u64;
    for entry in table.iter().map_err(SpoolError::storage)? {
        let (_, payload) = entry.map_err(SpoolError::storage)?;
        used += payload.value().len() as u64;
    }
    let first = table
        .first()
        .map_err(SpoolError::storage)?
        .map(|(k, _)| k.value());
    let last = table
        .last()
        .map_err(SpoolError::storage)?
        .map_or(0, |(k, _)| k.value());
    Ok((used, first, last))
}

#[cfg(test)]
mod tests;
