//! The writer thread: group commit of appends and acknowledgements.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use redb::{Database, Durability};
use std::sync::mpsc::{Receiver, RecvTimeoutError};

use tokio::sync::{mpsc, oneshot, watch};
use tracing::error;

use crate::{SpoolError, RECORDS};

/// Most requests written in one transaction.
const MAX_GROUP: usize = 4096;

/// Longest an acknowledgement waits for a transaction to ride along with.
const ACK_LINGER: Duration = Duration::from_millis(100);

/// Acknowledgement-only transactions skip their fsync unless the last durable commit is older
/// than this; a crash loses at most this much of acknowledgements (redelivered, not lost).
const ACK_SYNC_INTERVAL: Duration = Duration::from_secs(1);

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
    Ack(Vec<u64>),
    Close(oneshot::Sender<Result<(), SpoolError>>),
}

pub(crate) struct Writer<T> {
    pub(crate) db: Arc<Database>,
    pub(crate) used: Arc<AtomicU64>,
    pub(crate) next_seq: u64,
    pub(crate) committed: watch::Sender<u64>,
    pub(crate) hot: mpsc::Sender<(u64, T)>,
    pub(crate) on_used: crate::UsedObserver,
}

impl<T> Writer<T> {
    pub(crate) fn run(mut self, rx: Receiver<Request<T>>) {
        let mut last_sync = Instant::now();
        // Acknowledgements wait for the next append's commit, or ACK_LINGER at most: under
        // load they ride along; when idle they cost one transaction per ACK_LINGER.
        let mut acks: Vec<u64> = Vec::new();
        let mut acks_since: Option<Instant> = None;
        loop {
            let first = match acks_since {
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(since) => {
                    let wait = ACK_LINGER.saturating_sub(since.elapsed());
                    rx.recv_timeout(wait)
                }
            };
            let mut group = match first {
                Ok(request) => vec![request],
                Err(RecvTimeoutError::Timeout) => Vec::new(),
                Err(RecvTimeoutError::Disconnected) => return,
            };
            while group.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(r) => group.push(r),
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
                    Request::Ack(seqs) => {
                        acks_since.get_or_insert_with(Instant::now);
                        acks.extend(seqs);
                    }
                    Request::Close(reply) => close = Some(reply),
                }
            }
            let acks_due = acks_since.is_some_and(|since| since.elapsed() >= ACK_LINGER);
            if appends.is_empty() && close.is_none() && !acks_due {
                continue;
            }
            let durable =
                !appends.is_empty() || close.is_some() || last_sync.elapsed() >= ACK_SYNC_INTERVAL;
            match self.commit(&appends, &acks, durable) {
                Ok(()) => {
                    acks.clear();
                    acks_since = None;
                    if durable {
                        last_sync = Instant::now();
                    }
                    self.publish(appends);
                }
                Err(e) => {
                    error!(error = %e, "Spool write failed.");
                    for (payload, _, reply) in appends {
                        self.used.fetch_sub(payload.len() as u64, Ordering::AcqRel);
                        let _ = reply.send(Err(SpoolError::Storage(e.to_string())));
                    }
                }
            }
            if let Some(reply) = close {
                let _ = reply.send(Ok(()));
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

    fn commit(
        &mut self,
        appends: &[Pending<T>],
        acks: &[u64],
        durable: bool,
    ) -> Result<(), SpoolError> {
        let mut txn = self.db.begin_write().map_err(SpoolError::storage)?;
        txn.set_durability(if durable {
            Durability::Immediate
        } else {
            Durability::None
        })
        .map_err(SpoolError::storage)?;
        let mut freed = 0u64;
        {
            let mut table = txn.open_table(RECORDS).map_err(SpoolError::storage)?;
            for (i, (payload, _, _)) in appends.iter().enumerate() {
                table
                    .insert(self.next_seq + i as u64, payload.as_ref())
                    .map_err(SpoolError::storage)?;
            }
            for seq in acks {
                if let Some(old) = table.remove(seq).map_err(SpoolError::storage)? {
                    freed += old.value().len() as u64;
                }
            }
        }
        txn.commit().map_err(SpoolError::storage)?;
        let used = self.used.fetch_sub(freed, Ordering::AcqRel) - freed;
        (self.on_used)(used);
        Ok(())
    }

    /// Hands committed items to the reader (in order, before the committed mark moves, so a
    /// reader that sees the mark also sees every item that fit in the channel), then answers.
    fn publish(&mut self, appends: Vec<Pending<T>>) {
        if appends.is_empty() {
            return;
        }
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
