//! The accept loop: hyper's auto (HTTP/1.1 + h2c, or HTTP/2 by ALPN over TLS) connection
//! builder, a header read timeout against slowloris clients (the TLS handshake gets the same
//! time), and a graceful stop.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tracing::{debug, warn};

use crate::ratelimit::ClientAddr;
use crate::tls::TlsReloader;

/// Connection-level settings.
#[derive(Clone, Copy, Debug)]
pub struct ServeSettings {
    /// Time a client has to send its request headers (each request, including the first).
    pub header_timeout: Duration,
    /// How long requests in progress may take to finish after the stop signal.
    pub drain_timeout: Duration,
    /// Tell handlers each request's client address (needed by the per-client rate limit).
    pub client_addr: bool,
}

/// Serves `app` on `listener` until `stop` is cancelled, then stops accepting and waits up to
/// `drain_timeout` for requests in progress. With `tls`, every connection starts with a TLS
/// handshake (client certificate verified when mutual TLS is on).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    settings: ServeSettings,
    tls: Option<Arc<TlsReloader>>,
    stop: CancellationToken,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)));
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and similar: back off instead of spinning.
                    warn!(error = %e, "Could not accept a connection.");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        let _ = stream.set_nodelay(true);
        // Handlers see the client's address when the per-client rate limit needs it (an
        // extension costs an allocation per request, so only then).
        let client = settings.client_addr.then(|| ClientAddr(peer.ip()));
        let service = TowerToHyperService::new(app.clone().map_request(
            move |mut request: http::Request<hyper::body::Incoming>| {
                if let Some(client) = client {
                    request.extensions_mut().insert(client);
                }
                request
            },
        ));
        let watcher = graceful.watcher();
        match &tls {
            None => {
                let connection = builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), service)
                    .into_owned();
                tokio::spawn(async move {
                    if let Err(e) = watcher.watch(connection).await {
                        debug!(%peer, error = %e, "Connection ended with an error.");
                    }
                });
            }
            Some(tls) => {
                let acceptor = tls.acceptor();
                let builder = builder.clone();
                let handshake_timeout = settings.header_timeout;
                tokio::spawn(async move {
                    let stream = match tokio::time::timeout(
                        handshake_timeout,
                        acceptor.accept(stream),
                    )
                    .await
                    {
                        Ok(Ok(stream)) => stream,
                        Ok(Err(e)) => {
                            debug!(%peer, error = %e, "TLS handshake failed.");
                            return;
                        }
                        Err(_) => {
                            debug!(%peer, "TLS handshake timed out.");
                            return;
                        }
                    };
                    let connection = builder
                        .serve_connection_with_upgrades(TokioIo::new(stream), service)
                        .into_owned();
                    if let Err(e) = watcher.watch(connection).await {
                        debug!(%peer, error = %e, "Connection ended with an error.");
                    }
                });
            }
        }
    }
    drop(listener);
    if tokio::time::timeout(settings.drain_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        warn!("Some ingest connections were still open when the drain timeout ended.");
    }
}
