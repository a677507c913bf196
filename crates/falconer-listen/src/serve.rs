//! The accept loop and each connection's task: caps at accept, the TLS handshake and the
//! first request head within the header timeout, the idle and stall timeout after, and a
//! graceful stop.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use falconer_metrics::ConnectionClose;
use futures_util::stream::{FuturesUnordered, StreamExt};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;
use tracing::{debug, warn};

use crate::body::{InFlight, TrackedBody};
use crate::io::Timed;
use crate::pool::{Admission, ConnectionPool};

/// Connection deadlines of a listener.
#[derive(Clone, Copy, Debug)]
pub struct ListenSettings {
    /// From accept (TLS handshake included) to the first complete request head; then, for
    /// HTTP/1, the time each later request head may take.
    pub header_timeout: Duration,
    /// A connection with nothing in progress and no byte moving for this long is closed; so
    /// is one whose request moves no byte for this long.
    pub idle_timeout: Duration,
    /// How long requests in progress may take to finish after the stop signal.
    pub drain_timeout: Duration,
}

/// Adds what a handler needs to know of the client (its address) to each request.
pub type Tagger = fn(&mut http::Extensions, SocketAddr);

/// Where a TLS listener gets its acceptor (reloaded certificates take effect for new
/// connections).
pub trait TlsSource: Send + Sync {
    /// The acceptor for the next connection.
    fn acceptor(&self) -> tokio_rustls::TlsAcceptor;
}

struct Shared {
    app: Router,
    builder: auto::Builder<TokioExecutor>,
    settings: ListenSettings,
    tls: Option<Arc<dyn TlsSource>>,
    tag: Option<Tagger>,
    pool: Arc<ConnectionPool>,
    stop: CancellationToken,
    force: CancellationToken,
}

fn builder() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .max_concurrent_streams(256)
        .max_header_list_size(64 * 1024);
    builder
}

/// Serves `app` on `listener` until `stop` is cancelled, then stops accepting and waits up
/// to `drain_timeout` for requests in progress. `pool` holds the caps (several listeners may
/// share one). With `tls`, every connection starts with a TLS handshake.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    pool: Arc<ConnectionPool>,
    settings: ListenSettings,
    tls: Option<Arc<dyn TlsSource>>,
    tag: Option<Tagger>,
    stop: CancellationToken,
) {
    let mut builder = builder();
    // Request heads are timed by each connection's watchdog (the first from accept, later
    // ones from their first byte), not by hyper's timer, which would also cut keep-alive
    // connections idle for longer than the header timeout.
    builder.http1().header_read_timeout(None);
    let shared = Arc::new(Shared {
        app,
        builder,
        settings,
        tls,
        tag,
        pool,
        stop: stop.clone(),
        force: CancellationToken::new(),
    });
    let tracker = TaskTracker::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and similar: make room, back off instead of
                    // spinning.
                    let shed = shared.pool.shed_one();
                    warn!(listener = %shared.pool.name(), error = %e, shed_idle = shed, "Could not accept a connection.");
                    tokio::time::sleep(Duration::from_millis(if shed { 5 } else { 50 })).await;
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        let admission = match shared.pool.admit(peer.ip()).await {
            Ok(admission) => admission,
            Err(reason) => {
                debug!(listener = %shared.pool.name(), %peer, reason = reason.label(), "Connection refused at a cap.");
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tracker.spawn(connection(shared.clone(), stream, peer, admission));
    }
    drop(listener);
    tracker.close();
    if tokio::time::timeout(settings.drain_timeout, tracker.wait())
        .await
        .is_err()
    {
        warn!(listener = %shared.pool.name(), "Some connections were still open when the drain timeout ended; closing them.");
        shared.force.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(1), tracker.wait()).await;
    }
}

/// Serves one already-connected stream (an in-memory pipe, say) with the deadlines of
/// `settings` and no caps, as the accept loop serves each connection: the HTTP front's fuzz
/// target drives request heads and HTTP/2 frames through it.
pub async fn serve_stream<I>(io: I, app: Router, settings: ListenSettings)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let pool = ConnectionPool::new(
        "stream",
        crate::ConnectionCaps {
            max_connections: 1,
            max_per_client: 1,
        },
        falconer_metrics::ListenerMetrics::unregistered(),
    );
    let peer = SocketAddr::from(([127, 0, 0, 1], 0));
    let Ok(admission) = pool.admit(peer.ip()).await else {
        return;
    };
    let mut builder = builder();
    builder.http1().header_read_timeout(None);
    let shared = Shared {
        app,
        builder,
        settings,
        tls: None,
        tag: None,
        pool: pool.clone(),
        stop: CancellationToken::new(),
        force: CancellationToken::new(),
    };
    let stream = Timed::new(io, admission.state.clone());
    drive(&shared, stream, peer, &admission, Instant::now()).await;
}

/// One connection, from accept to close.
async fn connection(
    shared: Arc<Shared>,
    stream: TcpStream,
    peer: SocketAddr,
    admission: Admission,
) {
    let accepted = Instant::now();
    let stream = Timed::new(stream, admission.state.clone());
    match shared.tls.as_ref().map(|tls| tls.acceptor()) {
        None => drive(&shared, stream, peer, &admission, accepted).await,
        Some(acceptor) => {
            let handshake = tokio::time::timeout_at(
                accepted + shared.settings.header_timeout,
                acceptor.accept(stream),
            );
            let stream = tokio::select! {
                done = handshake => match done {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(e)) => {
                        debug!(%peer, error = %e, "TLS handshake failed.");
                        return;
                    }
                    Err(_) => {
                        debug!(%peer, "TLS handshake timed out.");
                        shared.pool.metrics().closed(ConnectionClose::HeaderTimeout);
                        return;
                    }
                },
                () = admission.evicted.cancelled() => return,
                () = shared.stop.cancelled() => return,
            };
            drive(&shared, stream, peer, &admission, accepted).await;
        }
    }
}

/// Serves HTTP on `io` until the client goes, a deadline passes, the pool evicts the
/// connection, or the drain ends.
async fn drive<I>(
    shared: &Shared,
    io: I,
    peer: SocketAddr,
    admission: &Admission,
    accepted: Instant,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let state = admission.state.clone();
    let app = shared.app.clone();
    let tag = shared.tag;
    let service = hyper::service::service_fn(move |mut request: http::Request<Incoming>| {
        let in_flight = InFlight::start(state.clone(), request.version() == http::Version::HTTP_2);
        if let Some(tag) = tag {
            tag(request.extensions_mut(), peer);
        }
        let app = app.clone();
        async move {
            let response = match app.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(response.map(|body| TrackedBody::new(body, in_flight)))
        }
    });
    let conn = shared
        .builder
        .serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(conn);
    let settings = shared.settings;
    let state = &admission.state;
    let mut signals = Signals::new(shared, admission);
    // Woken at least this often: the deadline that applies changes with the connection's
    // state (a served request turns the header deadline into the idle one).
    let period = settings.header_timeout.min(settings.idle_timeout);
    let mut check = accepted + period;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    debug!(%peer, error = %e, "Connection ended with an error.");
                }
                return;
            }
            Some(signal) = signals.next() => match signal {
                Signal::Evicted | Signal::Force => return,
                Signal::Stop => conn.as_mut().graceful_shutdown(),
            },
            () = tokio::time::sleep_until(check) => {
                let now = Instant::now();
                let (deadline, reason) = if !state.served() {
                    (accepted + settings.header_timeout, ConnectionClose::HeaderTimeout)
                } else if state.busy() {
                    // A request in progress on which no byte moves (a trickled body, a
                    // client that stopped reading).
                    (state.last_io() + settings.idle_timeout, ConnectionClose::Stalled)
                } else if let Some(head) = state.head_started() {
                    // The next HTTP/1 request head is arriving.
                    (head + settings.header_timeout, ConnectionClose::HeaderTimeout)
                } else {
                    // Idle: HTTP/2 pings move bytes, so idleness counts from the last request.
                    (state.last_active() + settings.idle_timeout, ConnectionClose::IdleTimeout)
                };
                if now >= deadline {
                    debug!(listener = %shared.pool.name(), %peer, reason = reason.label(), "Closing the connection.");
                    shared.pool.metrics().closed(reason);
                    return;
                }
                check = deadline.min(now + period);
            }
        }
    }
}

/// What ends or drains a connection from outside.
#[derive(Clone, Copy, Debug)]
enum Signal {
    /// The pool gave the connection's place to a new one.
    Evicted,
    /// The listener is stopping: finish the request in progress, take no more.
    Stop,
    /// The drain is over.
    Force,
}

/// A connection's three signals, each a future of its own in a [`FuturesUnordered`], so
/// that the connection's task, woken for every read and write, polls them only when one of
/// them was woken (not three cancellation tokens, each behind its lock, per wake-up).
struct Signals<'a> {
    pending: FuturesUnordered<Pin<Box<dyn Future<Output = Signal> + Send + 'a>>>,
}

impl<'a> Signals<'a> {
    fn new(shared: &'a Shared, admission: &'a Admission) -> Self {
        let pending: FuturesUnordered<Pin<Box<dyn Future<Output = Signal> + Send + 'a>>> =
            FuturesUnordered::new();
        pending.push(Box::pin(async {
            admission.evicted.cancelled().await;
            Signal::Evicted
        }));
        pending.push(Box::pin(async {
            shared.stop.cancelled().await;
            Signal::Stop
        }));
        pending.push(Box::pin(async {
            shared.force.cancelled().await;
            Signal::Force
        }));
        Signals { pending }
    }

    /// The next signal; `None` once all three have come.
    async fn next(&mut self) -> Option<Signal> {
        self.pending.next().await
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("pool", &self.pool)
            .field("settings", &self.settings)
            .finish()
    }
}
