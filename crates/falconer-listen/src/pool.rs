//! The open connections of one listener, with its caps: a new connection over a cap takes
//! the place of an idle one (never-used connections first, then the longest idle), and is
//! refused when every connection is busy.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use falconer_metrics::{ConnectionClose, ConnectionRefusal, ListenerMetrics};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::debug;

/// What one connection is doing, shared by its task, its requests and the pool.
#[derive(Debug)]
pub(crate) struct ConnState {
    epoch: Instant,
    /// Requests whose head arrived and whose response body is not finished.
    in_flight: AtomicU32,
    /// Requests whose head arrived, ever.
    requests: AtomicU64,
    /// Milliseconds from `epoch` to the connection's last activity (accept, or a request
    /// finishing).
    last_active_ms: AtomicU64,
    /// Milliseconds from `epoch` to the last byte read or written.
    last_io_ms: AtomicU64,
    /// One more than the milliseconds from `epoch` to the first byte read while no request
    /// was in progress (a next HTTP/1 request head arriving); 0 when none.
    head_started_ms: AtomicU64,
    /// The connection speaks HTTP/2 (no request heads between requests to time).
    http2: AtomicBool,
}

impl ConnState {
    fn new(epoch: Instant) -> Self {
        let state = ConnState {
            epoch,
            in_flight: AtomicU32::new(0),
            requests: AtomicU64::new(0),
            last_active_ms: AtomicU64::new(0),
            last_io_ms: AtomicU64::new(0),
            head_started_ms: AtomicU64::new(0),
            http2: AtomicBool::new(false),
        };
        state.touch();
        state
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    fn at(&self, ms: u64) -> Instant {
        self.epoch + std::time::Duration::from_millis(ms)
    }

    fn touch(&self) {
        let now = self.now_ms();
        self.last_active_ms.store(now, Ordering::Relaxed);
        self.last_io_ms.store(now, Ordering::Relaxed);
    }

    /// Bytes were read from the client.
    pub(crate) fn read(&self) {
        let now = self.now_ms();
        self.last_io_ms.store(now, Ordering::Relaxed);
        if !self.busy() && self.head_started_ms.load(Ordering::Relaxed) == 0 {
            self.head_started_ms.store(now + 1, Ordering::Relaxed);
        }
    }

    /// Bytes were written to the client.
    pub(crate) fn wrote(&self) {
        self.last_io_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    /// A request head arrived.
    pub(crate) fn request_started(&self, http2: bool) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started_ms.store(0, Ordering::Relaxed);
        if http2 {
            self.http2.store(true, Ordering::Relaxed);
        }
    }

    /// When a byte last moved.
    pub(crate) fn last_io(&self) -> Instant {
        self.at(self.last_io_ms.load(Ordering::Relaxed))
    }

    /// When the next HTTP/1 request head started arriving, if it is arriving.
    pub(crate) fn head_started(&self) -> Option<Instant> {
        if self.http2.load(Ordering::Relaxed) {
            return None;
        }
        match self.head_started_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(self.at(ms - 1)),
        }
    }

    /// A response finished (or was abandoned).
    pub(crate) fn request_finished(&self) {
        self.touch();
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }

    /// True while a request is in progress.
    pub(crate) fn busy(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) > 0
    }

    /// True once a complete request head has arrived.
    pub(crate) fn served(&self) -> bool {
        self.requests.load(Ordering::Relaxed) > 0
    }

    /// When the connection was last active.
    pub(crate) fn last_active(&self) -> Instant {
        self.at(self.last_active_ms.load(Ordering::Relaxed))
    }

    /// Eviction order: never-used connections first, then the longest idle.
    fn eviction_key(&self) -> (bool, u64) {
        (self.served(), self.last_active_ms.load(Ordering::Relaxed))
    }
}

struct Entry {
    client: IpAddr,
    state: Arc<ConnState>,
    evict: CancellationToken,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    conns: HashMap<u64, Entry>,
    per_client: HashMap<IpAddr, usize>,
    /// Evicted connections whose task has not dropped its socket yet: they still hold a file
    /// descriptor, so they count against the cap until then.
    closing: HashSet<u64>,
}

impl Inner {
    fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.conns.remove(&id)?;
        if let Some(n) = self.per_client.get_mut(&entry.client) {
            *n -= 1;
            if *n == 0 {
                self.per_client.remove(&entry.client);
            }
        }
        Some(entry)
    }

    /// Closes the idle connection first in eviction order among those `pick` selects.
    fn evict_idle(&mut self, pick: impl Fn(&Entry) -> bool) -> bool {
        let victim = self
            .conns
            .iter()
            .filter(|(_, e)| pick(e) && !e.state.busy())
            .min_by_key(|(_, e)| e.state.eviction_key())
            .map(|(id, _)| *id);
        let Some(id) = victim else {
            return false;
        };
        match self.remove(id) {
            Some(entry) => {
                entry.evict.cancel();
                self.closing.insert(id);
                true
            }
            None => false,
        }
    }
}

/// The caps of one listener (or of several listeners sharing one budget).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionCaps {
    /// Open connections at most.
    pub max_connections: usize,
    /// Open connections per client address at most.
    pub max_per_client: usize,
}

/// The open connections of a listener and its caps.
pub struct ConnectionPool {
    name: String,
    caps: ConnectionCaps,
    epoch: Instant,
    inner: Mutex<Inner>,
    metrics: ListenerMetrics,
    /// Told when an evicted connection has closed its socket.
    released: tokio::sync::Notify,
}

impl std::fmt::Debug for ConnectionPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionPool")
            .field("name", &self.name)
            .field("caps", &self.caps)
            .field("open", &self.open())
            .finish()
    }
}

/// A connection's place in the pool; leaving the pool when dropped.
pub(crate) struct Admission {
    pool: Arc<ConnectionPool>,
    id: u64,
    pub(crate) state: Arc<ConnState>,
    /// Cancelled when the pool closes this connection to make room for another.
    pub(crate) evicted: CancellationToken,
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut inner = self.pool.lock();
        if inner.remove(self.id).is_some() {
            self.pool.metrics.open.dec();
        }
        let was_closing = inner.closing.remove(&self.id);
        drop(inner);
        if was_closing {
            self.pool.released.notify_waiters();
        }
    }
}

/// Why a connection could not be admitted at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotAdmitted {
    /// Refused: every connection that could make room is busy.
    Refused(ConnectionRefusal),
    /// Room was made, but the evicted connection still holds its socket.
    Closing,
}

/// How long the accept loop waits for an evicted connection to let go of its socket before
/// refusing the new one.
const ROOM_WAIT: std::time::Duration = std::time::Duration::from_millis(250);

impl ConnectionPool {
    /// An empty pool named `name` (the `listener` label of its metrics).
    pub fn new(name: &str, caps: ConnectionCaps, metrics: ListenerMetrics) -> Arc<Self> {
        Arc::new(ConnectionPool {
            name: name.to_owned(),
            caps: ConnectionCaps {
                max_connections: caps.max_connections.max(1),
                max_per_client: caps.max_per_client.max(1),
            },
            epoch: Instant::now(),
            inner: Mutex::new(Inner::default()),
            released: tokio::sync::Notify::new(),
            metrics,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent maps (no await inside).
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The listener's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its caps.
    pub fn caps(&self) -> ConnectionCaps {
        self.caps
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.lock().conns.len()
    }

    /// Its metric handles.
    pub fn metrics(&self) -> &ListenerMetrics {
        &self.metrics
    }

    /// Takes a place for a new connection from `client`, closing an idle connection to make
    /// room at a cap, and waits (briefly) until an evicted connection has closed its socket,
    /// so the open sockets never exceed the cap; refuses when every connection that could
    /// make room is busy, or the room does not come.
    pub(crate) async fn admit(
        self: &Arc<Self>,
        client: IpAddr,
    ) -> Result<Admission, ConnectionRefusal> {
        let deadline = Instant::now() + ROOM_WAIT;
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            match self.try_admit(client) {
                Ok(admission) => return Ok(admission),
                Err(NotAdmitted::Refused(reason)) => return Err(reason),
                Err(NotAdmitted::Closing) => {
                    if tokio::time::timeout_at(deadline, released).await.is_err() {
                        self.metrics.refused(ConnectionRefusal::ConnectionCap);
                        return Err(ConnectionRefusal::ConnectionCap);
                    }
                }
            }
        }
    }

    /// [`ConnectionPool::admit`] without waiting.
    pub(crate) fn try_admit(self: &Arc<Self>, client: IpAddr) -> Result<Admission, NotAdmitted> {
        let mut inner = self.lock();
        let mut evicted = 0;
        if inner.per_client.get(&client).copied().unwrap_or(0) >= self.caps.max_per_client {
            if !inner.evict_idle(|e| e.client == client) {
                drop(inner);
                self.metrics.refused(ConnectionRefusal::ClientCap);
                return Err(NotAdmitted::Refused(ConnectionRefusal::ClientCap));
            }
            evicted += 1;
        }
        if inner.conns.len() >= self.caps.max_connections {
            if !inner.evict_idle(|_| true) {
                drop(inner);
                for _ in 0..evicted {
                    self.evicted();
                }
                self.metrics.refused(ConnectionRefusal::ConnectionCap);
                return Err(NotAdmitted::Refused(ConnectionRefusal::ConnectionCap));
            }
            evicted += 1;
        }
        if inner.conns.len() + inner.closing.len() >= self.caps.max_connections {
            drop(inner);
            for _ in 0..evicted {
                self.evicted();
            }
            return Err(NotAdmitted::Closing);
        }
        let id = inner.next_id;
        inner.next_id += 1;
        let state = Arc::new(ConnState::new(self.epoch));
        let evict = CancellationToken::new();
        inner.conns.insert(
            id,
            Entry {
                client,
                state: state.clone(),
                evict: evict.clone(),
            },
        );
        *inner.per_client.entry(client).or_insert(0) += 1;
        drop(inner);
        for _ in 0..evicted {
            self.evicted();
        }
        self.metrics.open.inc();
        Ok(Admission {
            pool: self.clone(),
            id,
            state,
            evicted: evict,
        })
    }

    fn evicted(&self) {
        self.metrics.open.dec();
        self.metrics.closed(ConnectionClose::Evicted);
        debug!(listener = %self.name, "Closed an idle connection to make room for a new one.");
    }

    /// Closes one idle connection, if there is one (the process ran out of file descriptors).
    pub(crate) fn shed_one(&self) -> bool {
        let shed = self.lock().evict_idle(|_| true);
        if shed {
            self.evicted();
        }
        shed
    }
}
