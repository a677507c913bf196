//! The ingest listeners on Falconer's hardened accept loop ([`falconer_listen`]): deadlines
//! from accept to the first request head, idle and stall timeouts, and connection caps with
//! idle connections evicted first; the TLS acceptor comes from the reloader.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use falconer_listen::{ConnectionPool, ListenSettings, TlsSource};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::ratelimit::ClientAddr;
use crate::tls::TlsReloader;

/// Connection-level settings.
#[derive(Clone, Copy, Debug)]
pub struct ServeSettings {
    /// From accept (TLS handshake included) to the first complete request head, and for each
    /// later HTTP/1 request head.
    pub header_timeout: Duration,
    /// A connection with no request in progress for this long is closed (keep-alive idle);
    /// so is a request that moves no byte for this long.
    pub idle_timeout: Duration,
    /// How long requests in progress may take to finish after the stop signal.
    pub drain_timeout: Duration,
    /// Tell handlers each request's client address (needed by the per-client rate limit).
    pub client_addr: bool,
}

impl TlsSource for TlsReloader {
    fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        TlsReloader::acceptor(self)
    }
}

fn tag_client(extensions: &mut http::Extensions, peer: SocketAddr) {
    extensions.insert(ClientAddr(peer.ip()));
}

/// Serves `app` on `listener` until `stop` is cancelled, then stops accepting and waits up to
/// `drain_timeout` for requests in progress. `pool` holds the connection caps (the main and
/// the side port share one). With `tls`, every connection starts with a TLS handshake
/// (client certificate verified when mutual TLS is on).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    pool: Arc<ConnectionPool>,
    settings: ServeSettings,
    tls: Option<Arc<TlsReloader>>,
    stop: CancellationToken,
) {
    // Handlers see the client's address when the per-client rate limit needs it (an
    // extension costs an allocation per request, so only then).
    let tag: Option<falconer_listen::Tagger> = settings.client_addr.then_some(tag_client);
    falconer_listen::serve(
        listener,
        app,
        pool,
        ListenSettings {
            header_timeout: settings.header_timeout,
            idle_timeout: settings.idle_timeout,
            drain_timeout: settings.drain_timeout,
        },
        tls.map(|t| t as Arc<dyn TlsSource>),
        tag,
        stop,
    )
    .await;
}
