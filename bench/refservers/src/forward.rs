//! `forward` mode: a minimal queued forwarder, the delivery baseline.
//!
//! Every `POST` body is enqueued (without parsing) into a bounded queue per
//! sink and answered `200`; a full queue drops the body for that sink and
//! counts it. One worker per sink POSTs bodies with at most `inflight`
//! requests in flight. `GET /stats` reports
//! `{"accepted":N,"dropped":N,"forwarded":N,"failed":N}`, where `dropped`,
//! `forwarded` and `failed` count (event, sink) pairs.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use hyper::{Method, StatusCode};
use tokio::sync::{mpsc, Semaphore};

use crate::server::{empty, json, read_body, serve};

/// Forwarder settings.
#[derive(Debug)]
pub struct Config {
    /// Destination URLs; each accepted body goes to every one of them.
    pub sinks: Vec<String>,
    /// Capacity of each sink's queue.
    pub queue: usize,
    /// Maximum concurrent requests per sink.
    pub inflight: usize,
}

/// Forwarder counters.
#[derive(Debug, Default)]
struct Stats {
    /// Requests answered `200` at ingest.
    accepted: AtomicU64,
    /// (event, sink) pairs dropped because the sink's queue was full.
    dropped: AtomicU64,
    /// (event, sink) pairs delivered with a 2xx response.
    forwarded: AtomicU64,
    /// (event, sink) pairs whose POST failed or got a non-2xx response.
    failed: AtomicU64,
}

/// Runs the forwarder on `addr`.
pub async fn run(addr: SocketAddr, cfg: Config) -> std::io::Result<()> {
    let stats = Arc::new(Stats::default());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(cfg.inflight)
        .tcp_nodelay(true)
        .build()
        .map_err(std::io::Error::other)?;

    let mut queues = Vec::with_capacity(cfg.sinks.len());
    for sink in &cfg.sinks {
        let url = reqwest::Url::parse(sink).map_err(std::io::Error::other)?;
        let (tx, rx) = mpsc::channel::<Bytes>(cfg.queue);
        queues.push(tx);
        tokio::spawn(worker(
            client.clone(),
            url,
            rx,
            cfg.inflight,
            Arc::clone(&stats),
        ));
    }
    let queues: Arc<[mpsc::Sender<Bytes>]> = queues.into();

    serve(addr, move |req| {
        let stats = Arc::clone(&stats);
        let queues = Arc::clone(&queues);
        async move {
            match (req.method(), req.uri().path()) {
                (&Method::GET, "/stats") => json(format!(
                    r#"{{"accepted":{},"dropped":{},"forwarded":{},"failed":{}}}"#,
                    stats.accepted.load(Ordering::Relaxed),
                    stats.dropped.load(Ordering::Relaxed),
                    stats.forwarded.load(Ordering::Relaxed),
                    stats.failed.load(Ordering::Relaxed),
                )),
                (&Method::POST, _) => {
                    let Some(body) = read_body(req).await else {
                        return empty(StatusCode::BAD_REQUEST);
                    };
                    stats.accepted.fetch_add(1, Ordering::Relaxed);
                    for queue in queues.iter() {
                        if queue.try_send(body.clone()).is_err() {
                            stats.dropped.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    empty(StatusCode::OK)
                }
                _ => empty(StatusCode::NOT_FOUND),
            }
        }
    })
    .await
}

/// Drains one sink's queue, keeping at most `inflight` POSTs in flight.
async fn worker(
    client: reqwest::Client,
    url: reqwest::Url,
    mut rx: mpsc::Receiver<Bytes>,
    inflight: usize,
    stats: Arc<Stats>,
) {
    let permits = Arc::new(Semaphore::new(inflight));
    while let Some(body) = rx.recv().await {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            break;
        };
        let request = client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        let stats = Arc::clone(&stats);
        tokio::spawn(async move {
            let ok = match request.send().await {
                // Drain the (empty) body so the connection returns to the pool.
                Ok(resp) => resp.status().is_success() && resp.bytes().await.is_ok(),
                Err(_) => false,
            };
            let counter = if ok { &stats.forwarded } else { &stats.failed };
            counter.fetch_add(1, Ordering::Relaxed);
            drop(permit);
        });
    }
}
