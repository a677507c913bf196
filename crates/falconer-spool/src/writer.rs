//! The writer thread: group commit of appends and acknowledgements.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use redb::{Database, Durability};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::error;

use crate::{SpoolError, RECORDS};

/// Most requests written in one transaction.
const MAX_GROUP: usize = 4096;

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
    pub(crate) fn run(mut self, mut rx: mpsc::UnboundedReceiver<Request<T>>) {
        let mut last_sync = Instant::now();
        while let Some(first) = rx.blocking_recv() {
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(r) => group.push(r),
                    Err(_) => break,
                }
            }
            let mut appends = Vec::new();
            let mut acks = Vec::new();
            let mut close = None;
            for request in group {
                match request {
                    Request::Append {
                        payload,
                        item,
                        reply,
                    } => appends.push((payload, item, reply)),
                    Request::Ack(seqs) => acks.extend(seqs),
                    Request::Close(reply) => close = Some(reply),
                }
            }
            let durable =
                !appends.is_empty() || close.is_some() || last_sync.elapsed() >= ACK_SYNC_INTERVAL;
            match self.commit(&appends, &acks, durable) {
                Ok(()) => {
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
                rx.close();
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
