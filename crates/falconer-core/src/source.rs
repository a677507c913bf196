//! Where a worker takes its alerts from: the instance's in-memory queue, or its durable spool
//! (with the in-memory hot path and read-back from disk), and how they are grouped into
//! batches (max events, max bytes, linger).
//!
//! Every method here is cancel-safe: state lives in the structs, not in the futures, so the
//! worker can stop waiting at any point without losing an alert.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use falconer_event::Alert;
use falconer_metrics::{DropReason, OutputMetrics};
use falconer_spool::Spool;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::error;

use crate::deadletter::DeadLetters;
use crate::held::Queued;
use crate::worker::Envelope;

/// Records read back from the spool at once.
const READ_CHUNK: usize = 256;

/// A batch's limits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BatchLimits {
    pub(crate) max_events: usize,
    pub(crate) max_bytes: usize,
    pub(crate) linger: Duration,
}

/// The alerts of one output instance, in order.
pub(crate) enum Source {
    Memory(Box<MemorySource>),
    Spool(Box<SpoolSource>),
}

/// An output's in-memory queue.
pub(crate) struct MemorySource {
    rx: mpsc::Receiver<Queued>,
    metrics: OutputMetrics,
}

impl MemorySource {
    pub(crate) fn new(rx: mpsc::Receiver<Queued>, metrics: OutputMetrics) -> Self {
        MemorySource { rx, metrics }
    }

    async fn next(&mut self) -> Option<Envelope> {
        loop {
            let queued = self.rx.recv().await?;
            if let Some(e) = unpacked(queued, None, &self.metrics) {
                return Some(e);
            }
        }
    }

    fn next_now(&mut self) -> Option<Envelope> {
        loop {
            let queued = self.rx.try_recv().ok()?;
            if let Some(e) = unpacked(queued, None, &self.metrics) {
                return Some(e);
            }
        }
    }
}

/// `queued` ready for the worker; `None` (logged, counted as a corrupt drop) if its packed
/// payload does not read back, which only a bug could cause.
fn unpacked(queued: Queued, seq: Option<u64>, metrics: &OutputMetrics) -> Option<Envelope> {
    match queued.unpack(seq) {
        Ok(e) => Some(e),
        Err(e) => {
            error!(error = %e, "A queued alert cannot be read back; dropping it.");
            metrics.queue_depth.dec();
            metrics.dropped(1, DropReason::Corrupt);
            None
        }
    }
}

impl Source {
    /// The next alert, or `None` once the source is closed and empty.
    async fn next(&mut self) -> Option<Envelope> {
        match self {
            Source::Memory(m) => m.next().await,
            Source::Spool(s) => s.next().await,
        }
    }

    /// An alert available right now, without waiting.
    fn next_now(&mut self) -> Option<Envelope> {
        match self {
            Source::Memory(m) => m.next_now(),
            Source::Spool(s) => s.next_now(),
        }
    }

    /// Stops taking new alerts; what is already in the source is still handed out.
    pub(crate) fn close(&mut self) {
        match self {
            Source::Memory(m) => m.rx.close(),
            Source::Spool(s) => s.closed = true,
        }
    }

    /// At the end of the shutdown grace period: queued alerts become dead letters; spooled
    /// ones stay on disk for the next start.
    pub(crate) fn abandon(&mut self, metrics: &OutputMetrics, dead: &DeadLetters) {
        match self {
            Source::Memory(m) => {
                m.rx.close();
                let mut left = Vec::new();
                while let Some(e) = m.next_now() {
                    left.push(e.alert);
                }
                metrics.queue_depth.sub(left.len() as i64);
                dead.give_up(
                    metrics,
                    &left,
                    DropReason::Shutdown,
                    0,
                    "shutdown grace period ended before delivery",
                );
            }
            Source::Spool(_) => {}
        }
    }
}

/// Groups a source's alerts into batches.
pub(crate) struct Batcher {
    pub(crate) source: Source,
    limits: BatchLimits,
    pending: Vec<Envelope>,
    pending_bytes: usize,
    carry: Option<Envelope>,
    deadline: Option<Instant>,
}

impl Batcher {
    pub(crate) fn new(source: Source, limits: BatchLimits) -> Self {
        Batcher {
            source,
            limits,
            pending: Vec::new(),
            pending_bytes: 0,
            carry: None,
            deadline: None,
        }
    }

    /// Adds `e` unless it would make the batch too big (then it starts the next batch).
    /// Returns true when the batch is complete.
    fn add(&mut self, e: Envelope) -> bool {
        // Only a byte limit that can cut a batch needs the size (and the size alone: the
        // payload is not rendered for it).
        let size = if self.limits.max_events > 1 && self.limits.max_bytes != usize::MAX {
            e.alert.json_len()
        } else {
            0
        };
        if !self.pending.is_empty()
            && self.pending_bytes.saturating_add(size) > self.limits.max_bytes
        {
            self.carry = Some(e);
            return true;
        }
        if self.pending.is_empty() {
            self.deadline = Some(Instant::now() + self.limits.linger);
        }
        self.pending.push(e);
        self.pending_bytes = self.pending_bytes.saturating_add(size);
        self.pending.len() >= self.limits.max_events || self.pending_bytes >= self.limits.max_bytes
    }

    fn take(&mut self) -> Vec<Envelope> {
        self.pending_bytes = 0;
        self.deadline = None;
        std::mem::take(&mut self.pending)
    }

    /// The next batch: flushed when full (events or bytes) or `linger` after its first alert.
    /// `None` once the source is closed and empty.
    pub(crate) async fn next_batch(&mut self) -> Option<Vec<Envelope>> {
        if let Some(e) = self.carry.take() {
            if self.add(e) {
                return Some(self.take());
            }
        }
        loop {
            // Whatever is there already, without waiting.
            while let Some(e) = self.source.next_now() {
                if self.add(e) {
                    return Some(self.take());
                }
            }
            let deadline = match self.deadline {
                None => None,
                Some(d) if self.limits.linger.is_zero() || Instant::now() >= d => {
                    return Some(self.take())
                }
                Some(d) => Some(d),
            };
            let next = match deadline {
                None => self.source.next().await,
                Some(d) => match tokio::time::timeout_at(d, self.source.next()).await {
                    Ok(next) => next,
                    Err(_) => return Some(self.take()),
                },
            };
            match next {
                Some(e) => {
                    if self.add(e) {
                        return Some(self.take());
                    }
                }
                None if self.pending.is_empty() => return None,
                None => return Some(self.take()),
            }
        }
    }
}

/// Reads a spooled output's alerts: from the hot channel while it keeps up, from disk for
/// what it missed (channel full, or records left from before a restart).
pub(crate) struct SpoolSource {
    pub(crate) spool: Spool<Queued>,
    hot: mpsc::Receiver<(u64, Queued)>,
    next_seq: u64,
    peeked: Option<(u64, Queued)>,
    from_disk: VecDeque<Envelope>,
    closed: bool,
    metrics: OutputMetrics,
}

impl SpoolSource {
    pub(crate) fn new(
        spool: Spool<Queued>,
        hot: mpsc::Receiver<(u64, Queued)>,
        metrics: OutputMetrics,
    ) -> Self {
        SpoolSource {
            next_seq: spool.first_pending(),
            spool,
            hot,
            peeked: None,
            from_disk: VecDeque::new(),
            closed: false,
            metrics,
        }
    }

    fn next_now(&mut self) -> Option<Envelope> {
        loop {
            if let Some(e) = self.from_disk.pop_front() {
                return Some(self.handed_out(e));
            }
            let item = self.peeked.take().or_else(|| self.hot.try_recv().ok());
            match item {
                Some((seq, _)) if seq < self.next_seq => continue, // read from disk already
                Some((seq, queued)) if seq == self.next_seq => {
                    self.next_seq += 1;
                    match unpacked(queued, Some(seq), &self.metrics) {
                        Some(e) => return Some(self.handed_out(e)),
                        None => self.spool.ack(vec![seq]),
                    }
                }
                Some((seq, e)) => {
                    // The records before it did not fit the channel: read them from disk.
                    self.peeked = Some((seq, e));
                    if !self.read_disk(seq - 1) {
                        return None;
                    }
                }
                None if self.spool.committed() >= self.next_seq => {
                    if !self.read_disk(self.spool.committed()) {
                        return None;
                    }
                }
                None => return None,
            }
        }
    }

    async fn next(&mut self) -> Option<Envelope> {
        loop {
            if let Some(e) = self.next_now() {
                return Some(e);
            }
            if self.closed {
                return None;
            }
            let after = self.next_seq.saturating_sub(1);
            tokio::select! {
                item = self.hot.recv() => match item {
                    Some(item) => self.peeked = Some(item),
                    None => return None,
                },
                () = self.spool.wait_beyond(after) => {}
            }
        }
    }

    fn handed_out(&self, e: Envelope) -> Envelope {
        self.metrics.queue_depth.dec();
        e
    }

    /// Reads records `next_seq..=upto` (a chunk of them) into `from_disk`. False when
    /// nothing could be read (an error, already logged).
    fn read_disk(&mut self, upto: u64) -> bool {
        let records = match self.spool.read(self.next_seq, READ_CHUNK) {
            Ok(r) => r,
            Err(e) => {
                error!(error = %e, "Cannot read the spool.");
                return false;
            }
        };
        let now = Instant::now();
        let mut any = false;
        for (seq, payload) in records.into_iter().filter(|(seq, _)| *seq <= upto) {
            self.next_seq = seq + 1;
            any = true;
            match alert_from(payload) {
                Ok(alert) => self.from_disk.push_back(Envelope {
                    alert,
                    enqueued: now,
                    seq: Some(seq),
                }),
                Err(e) => {
                    error!(seq, error = %e, "A spooled record cannot be read back; dropping it.");
                    self.metrics.queue_depth.dec();
                    self.metrics.dropped(1, DropReason::Corrupt);
                    self.spool.ack(vec![seq]);
                }
            }
        }
        if !any {
            // Acknowledged records leave holes: skip to what is there.
            self.next_seq = upto + 1;
        }
        true
    }
}

fn alert_from(payload: Bytes) -> Result<Arc<Alert>, falconer_event::DecodeError> {
    Alert::from_payload(payload).map(Arc::new)
}
